/**
 * A store whose writes stay in this process's memory, over a datastore it reads through: `spin`
 * runs a task on a past task's inputs (read from the datastore) and keeps what the task writes
 * here, so the run history is unchanged. Reads see the scratch records first, then the datastore's.
 */
import { StoreError } from "../errors/index.js";
import type { StoreCollector } from "./collector.js";
import { partsOf, sizeOf } from "./chunks.js";
import { compareIds } from "./keys.js";
import type { BlobBytes, CachedTask, HistoryEntry, RunRecord, Store, TaskCommit, TaskLogs, TaskRecord } from "./types.js";

const place = (...parts: string[]) => parts.join("\u0000");

/** A blob's bytes in memory of the scratch store's own (a step's moved buffers are freed after its commit). */
function copyOf(bytes: BlobBytes): Uint8Array {
  const out = new Uint8Array(sizeOf(bytes));
  let at = 0;
  for (const part of partsOf(bytes)) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

export class ScratchStore implements Store {
  readonly #base: Store;
  readonly #runs = new Map<string, RunRecord>();
  readonly #tasks = new Map<string, TaskRecord>();
  readonly #logs = new Map<string, TaskLogs>();
  readonly #blobs = new Map<string, Uint8Array>();
  #lastRunId = 0;

  constructor(base: Store) {
    this.#base = base;
  }

  /** The datastore it reads through (what a `process` step's child opens). */
  get root(): string {
    return this.#base.root;
  }

  newRunId(): string {
    const now = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    this.#lastRunId = Math.max(now, this.#lastRunId + 1);
    return String(this.#lastRunId);
  }

  async putRun(run: RunRecord): Promise<void> {
    this.#runs.set(place(run.flow, run.runId), structuredClone(run));
  }

  getRun(flow: string, runId: string): RunRecord | undefined {
    return this.#runs.get(place(flow, runId)) ?? this.#base.getRun(flow, runId);
  }

  listRuns(flow: string): RunRecord[] {
    const own = [...this.#runs.values()].filter((r) => r.flow === flow);
    return [...own, ...this.#base.listRuns(flow)].sort((a, b) => compareIds(b.runId, a.runId));
  }

  listFlows(): string[] {
    return [...new Set([...this.#base.listFlows(), ...[...this.#runs.values()].map((r) => r.flow)])].sort();
  }

  async commitTask({ task, blobs, logs }: TaskCommit): Promise<void> {
    for (const [sha, bytes] of blobs) if (!this.hasBlob(sha)) this.#blobs.set(sha, copyOf(bytes));
    const key = place(task.flow, task.runId, task.step, task.taskId);
    this.#tasks.set(key, structuredClone(task));
    if (logs) this.#logs.set(key, { ...logs });
  }

  #ownRun(flow: string, runId: string): boolean {
    return this.#runs.has(place(flow, runId));
  }

  getTask(flow: string, runId: string, step: string, taskId: string): TaskRecord | undefined {
    return this.#tasks.get(place(flow, runId, step, taskId)) ?? this.#base.getTask(flow, runId, step, taskId);
  }

  listSteps(flow: string, runId: string): string[] {
    return [...new Set(this.listRunTasks(flow, runId).map((t) => t.step))];
  }

  listTasks(flow: string, runId: string, step: string): TaskRecord[] {
    return this.listRunTasks(flow, runId).filter((t) => t.step === step);
  }

  listRunTasks(flow: string, runId: string): TaskRecord[] {
    if (!this.#ownRun(flow, runId)) return this.#base.listRunTasks(flow, runId);
    return [...this.#tasks.values()].filter((t) => t.flow === flow && t.runId === runId).sort((a, b) => compareIds(a.taskId, b.taskId));
  }

  hasBlob(sha: string): boolean {
    return this.#blobs.has(sha) || this.#base.hasBlob(sha);
  }

  getBlob(sha: string): Uint8Array {
    // A copy, as the datastores return: decoded typed arrays may be views on it.
    return this.#blobs.get(sha)?.slice() ?? this.#base.getBlob(sha);
  }

  /** A scratch blob is kept whole; the datastore's own say what they name. */
  blobChildren(sha: string): string[] {
    return this.#blobs.has(sha) ? [] : this.#base.blobChildren(sha);
  }

  async putBlobs(blobs: Map<string, BlobBytes>): Promise<void> {
    for (const [sha, bytes] of blobs) if (!this.hasBlob(sha)) this.#blobs.set(sha, copyOf(bytes));
  }

  getLogs(flow: string, runId: string, step: string, taskId: string): TaskLogs | undefined {
    return this.#logs.get(place(flow, runId, step, taskId)) ?? this.#base.getLogs(flow, runId, step, taskId);
  }

  /** A scratch task is never reused, nor recorded for reuse. */
  getCachedTask(): CachedTask | undefined {
    return undefined;
  }

  async putCachedTask(): Promise<void> {}

  async addHistory(): Promise<void> {}

  listHistory(limit?: number): HistoryEntry[] {
    return this.#base.listHistory(limit);
  }

  /** Nothing here outlives the process; `steplab gc` collects the datastore underneath, opened as itself. */
  collector(): StoreCollector {
    throw new StoreError(`a scratch store (spin) keeps nothing to collect; run steplab gc on the datastore ${this.root}`);
  }

  /** The datastore underneath belongs to whoever opened it. */
  async close(): Promise<void> {}
}
