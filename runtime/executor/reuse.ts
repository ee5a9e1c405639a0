/**
 * Reusing a task's results (`run --cache`, and a notebook's re-runs): which steps may be reused,
 * finding the task recorded under a key, and committing a task that points at its artifacts.
 * A reused task is an ordinary task of the new run (its own id, place and inputs) whose artifacts
 * and logs are the earlier task's, by reference: no artifact is copied.
 */
import { taskPathspec, type Store, type TaskLogs, type TaskRecord } from "../../store/index.js";
import type { StepOptions } from "../graph/index.js";
import type { TaskOutcome, TaskSpec } from "./types.js";

/**
 * How a step takes part: "never" (`cache: false`); "always" (`cache: true`: reused even when it
 * runs in a process or reads other runs); "pure" (the default for isolate steps: reused unless the
 * task read other runs through the client API). A `process` step can read anything on the machine,
 * so it takes part only when it says `cache: true`.
 */
export type CachePolicy = "never" | "pure" | "always";

export function cachePolicy(options: StepOptions): CachePolicy {
  if (options.cache === false) return "never";
  if (options.cache === true) return "always";
  return options.isolation === "process" ? "never" : "pure";
}

/** A finished task whose results later tasks with its key may reuse. */
export function mayRecord(policy: CachePolicy, outcome: TaskOutcome): boolean {
  const { record, error } = outcome;
  // A caught exception is a failure kept as data: run it again rather than replay it.
  if (error || record.status !== "succeeded" || record.caught) return false;
  return policy === "always" || (policy === "pure" && !record.clientRead);
}

/** The task recorded under `key` in `flow`, when it is still in the datastore and reusable. */
export function findReusable(store: Store, flow: string, key: string): TaskRecord | undefined {
  const entry = store.getCachedTask(flow, key);
  if (!entry) return undefined;
  const record = store.getTask(flow, entry.runId, entry.step, entry.taskId);
  return record?.status === "succeeded" && !record.caught ? record : undefined;
}

/** Commits the task `spec` describes with `source`'s results, and records it as their newest holder. */
export async function reuseResults(
  store: Store,
  spec: TaskSpec,
  source: TaskRecord,
  key: string,
): Promise<{ record: TaskRecord; logs?: TaskLogs }> {
  const logs = store.getLogs(source.flow, source.runId, source.step, source.taskId);
  const now = Date.now();
  const record: TaskRecord = {
    flow: spec.flow,
    runId: spec.runId,
    step: spec.step,
    taskId: spec.taskId,
    status: "succeeded",
    attempt: source.attempt,
    artifacts: source.artifacts,
    next: source.next ? { ...source.next, steps: [...source.next.steps] } : undefined,
    stack: spec.stack.map((f) => ({ ...f })),
    inputs: spec.inputs.map((t) => t.taskId),
    startedAt: now,
    finishedAt: now,
    pid: process.pid,
    reusedFrom: source.reusedFrom ?? taskPathspec(source),
    ...(source.clientRead ? { clientRead: true } : {}),
    // What it displayed comes with its results: the reused task's card shows the same.
    ...(source.displays ? { displays: source.displays } : {}),
    ...(source.cellValue ? { cellValue: source.cellValue } : {}),
  };
  await store.commitTask({ task: record, blobs: new Map(), logs });
  // The newest holder: the key keeps working when older runs are deleted (gc --keep-last).
  await store.putCachedTask(spec.flow, key, record);
  return { record, logs };
}
