/**
 * One attempt of a task, end to end: build the sandbox request from artifact references, run it,
 * turn what it set into content-addressed blobs, and commit the task whole (record, new blobs,
 * logs). A failed attempt is committed as failed with the artifacts it set before it threw, as
 * Metaflow keeps them: `dump`, `logs` and the client show them; no later step reads them.
 */
import { SteplabError } from "../../errors/index.js";
import {
  artifactNameProblem,
  encodeArtifact,
  sha256,
  showName,
  taskPathspec,
  type ArtifactRef,
  type BlobBytes,
  type Store,
  type StoreReader,
  type TaskError,
  type TaskRecord,
  type TaskStatus,
} from "../../store/index.js";
import { currentUsername, usernameOfTags } from "../support/index.js";
import { partialArtifacts, type EncodedArtifact, type Sandbox, type TaskIO, type TaskLimits, type TaskRequest } from "../sandbox/index.js";
import { watchClientReads } from "./client-reads.js";
import { ArtifactNameError } from "./errors.js";
import { AttemptDisplays, LiveCommits } from "./attempt-displays.js";
import { TaskLog } from "./task-log.js";
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

/**
 * Hashes encoded artifacts into references and collects their bytes for the commit. Every blob
 * goes to the commit, which skips those the store has inside its own transaction: checking here
 * ("already have it") and committing later would race with `steplab gc` deleting the blob.
 */
export function referenceArtifacts(
  encoded: Map<string, EncodedArtifact>,
  into: Record<string, ArtifactRef>,
  blobs: Map<string, BlobBytes>,
): void {
  for (const [name, { sha, size, type, parts }] of encoded) {
    into[name] = { sha, size, type };
    blobs.set(sha, parts);
  }
}

function sandboxRequest(spec: TaskSpec, attempt: number, reader: StoreReader): TaskRequest {
  const run = spec.run ?? reader.getRun(spec.flow, spec.runId);
  const tags = run?.tags ?? [];
  return {
    flow: spec.flow,
    step: spec.step,
    pathspec: taskPathspec(spec),
    current: {
      runId: spec.runId,
      taskId: spec.taskId,
      retryCount: attempt,
      originRunId: run?.originRunId,
      tags: [...tags],
      username: usernameOfTags(tags) ?? currentUsername(),
    },
    initial: shas(spec.initial),
    parameters: spec.parameterNames,
    inputs: spec.isJoin ? spec.inputs.map((t) => ({ pathspec: taskPathspec(t), step: t.step, artifacts: shas(t.artifacts) })) : undefined,
    foreach: spec.foreach,
    steps: spec.stepNames,
    method: spec.method,
  };
}

/**
 * The guest checks names as a step assigns them; code that hands artifacts to the host another
 * way (calling the bridge itself) meets the same rule here.
 */
function checkNames(step: string, artifacts: Map<string, EncodedArtifact>): void {
  for (const name of artifacts.keys()) {
    const problem = artifactNameProblem(name);
    if (problem) throw new ArtifactNameError(showName(name), step, problem);
  }
}

function withValidNames(artifacts: Map<string, EncodedArtifact>): Map<string, EncodedArtifact> {
  return new Map([...artifacts].filter(([name]) => artifactNameProblem(name) === undefined));
}

/** The record's `displays` field, when the task displayed anything. */
function shownBy(displays: AttemptDisplays, blobs: Map<string, BlobBytes>): Pick<TaskRecord, "displays"> {
  const ref = displays.reference(blobs);
  return ref ? { displays: ref } : {};
}

/** The record's `cellValue` field: a notebook cell's value as a blob; none when it has none or the codec cannot store it. */
function keptValue(io: TaskExecution, blobs: Map<string, BlobBytes>): Pick<TaskRecord, "cellValue"> {
  const value = io.cellValue?.();
  if (value === undefined) return {};
  let bytes: Uint8Array;
  try {
    bytes = encodeArtifact(value);
  } catch {
    // A value the codec cannot store: a reuse shows the task's logs and displays without it.
    return {};
  }
  const ref: ArtifactRef = { sha: sha256(bytes), size: bytes.byteLength, type: "cell value" };
  // Always in the commit, as the displays' blob: the commit decides whether the store has it (see TaskCommit).
  blobs.set(ref.sha, bytes);
  return { cellValue: ref };
}

/** Runs attempt `attempt` of the task and commits it, succeeded or failed. */
export async function runAttempt(spec: TaskSpec, attempt: number, env: AttemptEnv): Promise<TaskOutcome> {
  const { store, io } = env;
  const log = new TaskLog();
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
  const displays = new AttemptDisplays(io, (text) => {
    log.add("stdout", text);
    io.onOutput("stdout", text);
  });
  // A flow task's card follows it while it runs; a notebook cell's is watched in the notebook.
  const live =
    env.recordRunning !== false
      ? new LiveCommits(store, () => {
          const blobs = new Map<string, BlobBytes>();
          return { task: { ...base, ...shownBy(displays, blobs) }, blobs, logs: log.logs() };
        })
      : undefined;
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
      log.add(stream, text);
      io.onOutput(stream, text);
      live?.changed();
    },
    display: (kind, data, options) => {
      displays.show(kind, data, options);
      live?.changed();
    },
  };
  try {
    const result = await env.sandbox.runTask(sandboxRequest(spec, attempt, env.reader), sandboxIO, env.limits);
    checkNames(spec.step, result.artifacts);
    io.checkTransition?.(result.outcome.next);
    const artifacts: Record<string, ArtifactRef> = { ...spec.initial };
    for (const name of result.outcome.deleted) delete artifacts[name];
    for (const [name, sha] of Object.entries(result.outcome.merged)) {
      const from = spec.inputs.map((t) => t.artifacts[name]).find((r) => r?.sha === sha);
      if (from) artifacts[name] = from;
    }
    const blobs = new Map<string, BlobBytes>();
    referenceArtifacts(result.artifacts, artifacts, blobs);
    const record: TaskRecord = {
      ...base,
      status: "succeeded",
      artifacts,
      pid: result.pid,
      finishedAt: Date.now(),
      next: result.outcome.next ? { ...result.outcome.next } : undefined,
      ...(clientRead ? { clientRead } : {}),
      ...shownBy(displays, blobs),
      ...keptValue(io, blobs),
    };
    await live?.settle();
    try {
      await store.commitTask({ task: record, blobs, logs: log.logs() });
    } finally {
      result.release?.();
    }
    return { record };
  } catch (err) {
    // The error ends the task's stderr, where `logs` and `task.stderr` show it (as Metaflow keeps the traceback).
    log.append("stderr", `${describeFailure(err)}\n`);
    const artifacts: Record<string, ArtifactRef> = { ...spec.initial };
    const blobs = new Map<string, BlobBytes>();
    const partial = partialArtifacts(err);
    if (partial) referenceArtifacts(withValidNames(partial), artifacts, blobs);
    const record: TaskRecord = {
      ...base,
      status: "failed",
      artifacts,
      finishedAt: Date.now(),
      error: toTaskError(err),
      ...(clientRead ? { clientRead } : {}),
      ...shownBy(displays, blobs),
    };
    await live?.settle();
    try {
      await store.commitTask({ task: record, blobs, logs: log.logs() });
    } catch {
      // The store refused the failed record too (its disk is full): the task's error says why.
    }
    return { record, error: err as Error };
  }
}
