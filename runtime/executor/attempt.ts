/**
 * One attempt of a task, end to end: build the sandbox request from artifact references, run it,
 * turn what it set into content-addressed blobs, and commit the task whole (record, new blobs,
 * logs). A failed attempt is committed as failed with the artifacts it set before it threw, as
 * Metaflow keeps them: `dump`, `logs` and the client show them; no later step reads them.
 */
import { SteplabError } from "../../errors/index.js";
import {
  encodeArtifact,
  sha256,
  taskPathspec,
  type ArtifactRef,
  type Store,
  type StoreReader,
  type TaskError,
  type TaskRecord,
  type TaskStatus,
} from "../../store/index.js";
import { partialArtifacts, type EncodedArtifact, type Sandbox, type TaskIO, type TaskLimits, type TaskRequest } from "../sandbox/index.js";
import { watchClientReads } from "./client-reads.js";
import type { TaskExecution, TaskOutcome, TaskSpec } from "./types.js";

export interface AttemptEnv {
  store: Store;
  reader: StoreReader;
  sandbox: Sandbox;
  limits?: TaskLimits;
  io: TaskExecution;
  /**
   * Commit a "running" record before the attempt starts (default). Notebook cells skip it: a cell
   * is watched by the person who ran it, and the extra commit is a good part of a trivial cell's time.
   */
  recordRunning?: boolean;
}

function shas(refs: Record<string, ArtifactRef>): Record<string, string> {
  return Object.fromEntries(Object.entries(refs).map(([n, r]) => [n, r.sha]));
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
export function startingRecord(spec: TaskSpec, status: TaskStatus, attempt = spec.attempt ?? 0): TaskRecord {
  return {
    flow: spec.flow,
    runId: spec.runId,
    step: spec.step,
    taskId: spec.taskId,
    status,
    attempt,
    artifacts: spec.initial,
    stack: spec.stack,
    inputs: spec.inputs.map((t) => t.taskId),
    startedAt: Date.now(),
  };
}

/** Hashes encoded artifacts into references, collecting the blobs the store does not have yet. */
export function referenceArtifacts(
  store: Store,
  encoded: Map<string, EncodedArtifact>,
  into: Record<string, ArtifactRef>,
  blobs: Map<string, Uint8Array>,
): void {
  for (const [name, { bytes, type }] of encoded) {
    const sha = sha256(bytes);
    into[name] = { sha, size: bytes.byteLength, type };
    if (!blobs.has(sha) && !store.hasBlob(sha)) blobs.set(sha, bytes);
  }
}

function sandboxRequest(spec: TaskSpec): TaskRequest {
  return {
    flow: spec.flow,
    step: spec.step,
    pathspec: taskPathspec(spec),
    initial: shas(spec.initial),
    parameters: spec.parameterNames,
    inputs: spec.isJoin ? spec.inputs.map((t) => ({ pathspec: taskPathspec(t), step: t.step, artifacts: shas(t.artifacts) })) : undefined,
    foreach: spec.foreach,
    steps: spec.stepNames,
    method: spec.method,
  };
}

/** A notebook cell's value and displays as a blob beside its artifacts; none when it showed nothing or cannot be encoded. */
function keepCellOutput(store: Store, io: TaskExecution, blobs: Map<string, Uint8Array>): ArtifactRef | undefined {
  const shown = io.cellOutput?.();
  if (shown === undefined) return undefined;
  const kept: Record<string, ArtifactRef> = {};
  try {
    referenceArtifacts(store, new Map([["cellOutput", { bytes: encodeArtifact(shown), type: "object" }]]), kept, blobs);
  } catch {
    // A value the codec cannot store: a reuse shows the task's logs without it.
    return undefined;
  }
  return kept.cellOutput;
}

/** Runs attempt `attempt` of the task and commits it, succeeded or failed. */
export async function runAttempt(spec: TaskSpec, attempt: number, env: AttemptEnv): Promise<TaskOutcome> {
  const { store, io } = env;
  const logs = { stdout: "", stderr: "" };
  const base: TaskRecord = { ...startingRecord(spec, "running", attempt), pid: process.pid };
  // Visible as running (finished = false) while it runs; not awaited: LMDB keeps write order.
  // A failure here (a remote datastore out of reach) surfaces in the final commit below.
  if (env.recordRunning !== false) void store.commitTask({ task: base, blobs: new Map() }).catch(() => undefined);

  // Results that depend on other runs (or, in a notebook, on a flow it ran or on what the user
  // typed) are not reused unless the step says so (see reuse.ts).
  let clientRead = false;
  const outside = <A extends unknown[], R>(helper: ((...args: A) => R) | undefined) =>
    helper &&
    ((...args: A): R => {
      clientRead = true;
      return helper(...args);
    });
  const sandboxIO: TaskIO = {
    ...io.notebook,
    runFlow: outside(io.notebook?.runFlow),
    prompt: outside(io.notebook?.prompt),
    reader: watchClientReads(env.reader, () => {
      clientRead = true;
    }),
    started: (pid) => {
      base.pid = pid;
      io.onStarted?.(pid);
    },
    output: (stream, text) => {
      logs[stream] += text;
      io.onOutput(stream, text);
    },
  };
  try {
    const result = await env.sandbox.runTask(sandboxRequest(spec), sandboxIO, env.limits);
    io.checkTransition?.(result.outcome.next);
    const artifacts: Record<string, ArtifactRef> = { ...spec.initial };
    for (const name of result.outcome.deleted) delete artifacts[name];
    for (const [name, sha] of Object.entries(result.outcome.merged)) {
      const from = spec.inputs.map((t) => t.artifacts[name]).find((r) => r?.sha === sha);
      if (from) artifacts[name] = from;
    }
    const blobs = new Map<string, Uint8Array>();
    referenceArtifacts(store, result.artifacts, artifacts, blobs);
    const cellOutput = keepCellOutput(store, io, blobs);
    const record: TaskRecord = {
      ...base,
      status: "succeeded",
      artifacts,
      pid: result.pid,
      finishedAt: Date.now(),
      next: result.outcome.next ? { ...result.outcome.next } : undefined,
      ...(clientRead ? { clientRead } : {}),
      ...(cellOutput ? { cellOutput } : {}),
    };
    await store.commitTask({ task: record, blobs, logs });
    return { record };
  } catch (err) {
    // The error ends the task's stderr, where `logs` and `task.stderr` show it (as Metaflow keeps the traceback).
    logs.stderr += `${logs.stderr === "" || logs.stderr.endsWith("\n") ? "" : "\n"}${describeFailure(err)}\n`;
    const artifacts: Record<string, ArtifactRef> = { ...spec.initial };
    const blobs = new Map<string, Uint8Array>();
    const partial = partialArtifacts(err);
    if (partial) referenceArtifacts(store, partial, artifacts, blobs);
    const record: TaskRecord = {
      ...base,
      status: "failed",
      artifacts,
      finishedAt: Date.now(),
      error: toTaskError(err),
      ...(clientRead ? { clientRead } : {}),
    };
    await store.commitTask({ task: record, blobs, logs });
    return { record, error: err as Error };
  }
}
