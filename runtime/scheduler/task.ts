/**
 * One task end to end: build the sandbox request from artifact references, run it, turn what it
 * set into content-addressed blobs, and commit the task whole (record, new blobs, logs) or as failed.
 * Used by the scheduler for flows and by notebook sessions for cells.
 */
import { sha256, type ArtifactRef, type Frame, type Store, type TaskError, type TaskRecord, type TaskStatus } from "../../store/index.js";
import type { StoreReader } from "../../store/index.js";
import { SteplabError } from "../../errors/index.js";
import type { Sandbox, TaskIO, TaskLimits, TaskRequest } from "../sandbox/index.js";

export interface TaskSpec {
  flow: string;
  runId: string;
  step: string;
  taskId: string;
  stack: Frame[];
  /** Input tasks: the parent, or every branch of a join. */
  inputs: TaskRecord[];
  isJoin: boolean;
  /** The references the task starts from (parent's artifacts, or the parameters). */
  initial: Record<string, ArtifactRef>;
  foreach?: { input: unknown; index: number };
  /** Parameter artifact name -> command-line name. */
  parameterNames: Record<string, string>;
  stepNames: string[];
  attempt?: number;
  /** The flow class method to call, when it is not named after the step (notebook cells). */
  method?: string;
}

export interface TaskEnv {
  store: Store;
  reader: StoreReader;
  sandbox: Sandbox;
  limits?: TaskLimits;
  /** Output as the task prints it, in chunks. */
  onOutput(stream: "stdout" | "stderr", text: string): void;
  /** The pid running the task, when it is not this process (a `process` step). */
  onStarted?(pid: number): void;
  pid?: number;
  /** Notebook cells: the cell's value and the helpers that reach the front end. */
  notebook?: Pick<TaskIO, "result" | "display" | "runFlow" | "prompt">;
  /**
   * Commit a "running" record before the task starts (default). Notebook cells skip it: a cell is
   * watched by the person who ran it, and the extra commit is a good part of a trivial cell's time.
   */
  recordRunning?: boolean;
  /** Checks the transition the step took against the static graph; throws to fail the task. */
  checkTransition?(next: TaskRecord["next"]): void;
}

export interface TaskOutcome {
  record: TaskRecord;
  error?: Error;
}

function shas(refs: Record<string, ArtifactRef>): Record<string, string> {
  return Object.fromEntries(Object.entries(refs).map(([n, r]) => [n, r.sha]));
}

function pathspec(t: { flow: string; runId: string; step: string; taskId: string }): string {
  return `${t.flow}/${t.runId}/${t.step}/${t.taskId}`;
}

export function toTaskError(err: unknown): TaskError {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return { name: e.name, message: e.message, stack: e.stack, code: typeof code === "string" ? code : undefined };
}

/**
 * What a failed task shows: the user's own (source-mapped) stack for errors their code threw; for
 * the runtime's verdicts (timeout, memory limit, interrupt, a crashed process) only the message,
 * since the runtime's internal frames say nothing to the user.
 */
export function describeFailure(error: unknown): string {
  if (error instanceof SteplabError) return `${error.name}: ${error.message}`;
  return (error as Error)?.stack ?? String(error);
}

/** The record of a task starting now: its place in the run, its inputs, no outputs yet. */
export function startingRecord(spec: TaskSpec, status: TaskStatus): TaskRecord {
  return {
    flow: spec.flow,
    runId: spec.runId,
    step: spec.step,
    taskId: spec.taskId,
    status,
    attempt: spec.attempt ?? 0,
    artifacts: spec.initial,
    stack: spec.stack,
    inputs: spec.inputs.map((t) => t.taskId),
    startedAt: Date.now(),
  };
}

export async function executeTask(spec: TaskSpec, env: TaskEnv): Promise<TaskOutcome> {
  const logs = { stdout: "", stderr: "" };
  const base: TaskRecord = { ...startingRecord(spec, "running"), pid: env.pid ?? process.pid };
  // Visible as running (finished = false) while it runs; not awaited: LMDB keeps write order.
  // A failure here (a remote datastore out of reach) surfaces in the final commit below.
  if (env.recordRunning !== false) void env.store.commitTask({ task: base, blobs: new Map() }).catch(() => undefined);

  const request: TaskRequest = {
    flow: spec.flow,
    step: spec.step,
    pathspec: pathspec(spec),
    initial: shas(spec.initial),
    parameters: spec.parameterNames,
    inputs: spec.isJoin ? spec.inputs.map((t) => ({ pathspec: pathspec(t), step: t.step, artifacts: shas(t.artifacts) })) : undefined,
    foreach: spec.foreach,
    steps: spec.stepNames,
    method: spec.method,
  };
  const io: TaskIO = {
    ...env.notebook,
    reader: env.reader,
    started: env.onStarted,
    output: (stream: "stdout" | "stderr", text: string) => {
      logs[stream] += text;
      env.onOutput(stream, text);
    },
  };
  try {
    const result = await env.sandbox.runTask(request, io, env.limits);
    env.checkTransition?.(result.outcome.next);
    const artifacts: Record<string, ArtifactRef> = { ...spec.initial };
    for (const name of result.outcome.deleted) delete artifacts[name];
    for (const [name, sha] of Object.entries(result.outcome.merged)) {
      const from = spec.inputs.map((t) => t.artifacts[name]).find((r) => r?.sha === sha);
      if (from) artifacts[name] = from;
    }
    const blobs = new Map<string, Uint8Array>();
    for (const [name, { bytes, type }] of result.artifacts) {
      const sha = sha256(bytes);
      artifacts[name] = { sha, size: bytes.byteLength, type };
      if (!blobs.has(sha) && !env.store.hasBlob(sha)) blobs.set(sha, bytes);
    }
    const record: TaskRecord = {
      ...base,
      status: "succeeded",
      artifacts,
      pid: result.pid,
      finishedAt: Date.now(),
      next: result.outcome.next ? { ...result.outcome.next } : undefined,
    };
    await env.store.commitTask({ task: record, blobs, logs });
    return { record };
  } catch (err) {
    // The error ends the task's stderr, where `logs` and `task.stderr` show it (as Metaflow keeps the traceback).
    logs.stderr += `${logs.stderr === "" || logs.stderr.endsWith("\n") ? "" : "\n"}${describeFailure(err)}\n`;
    const record: TaskRecord = { ...base, status: "failed", finishedAt: Date.now(), error: toTaskError(err) };
    await env.store.commitTask({ task: record, blobs: new Map(), logs });
    return { record, error: err as Error };
  }
}
