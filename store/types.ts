/**
 * The records the store keeps. The store knows nothing of flows' code: it keeps runs, tasks,
 * content-addressed blobs, logs and notebook history, keyed by ordered tuples so that range reads
 * list a run's steps and tasks.
 */
import type { StoreCollector } from "./collector.js";

/**
 * "killed": the run was stopped from outside (SIGINT, SIGTERM), or its process is gone while it
 * was still running (kill -9, a crash); its tasks did not all finish.
 */
export type RunStatus = "running" | "succeeded" | "failed" | "killed";
export type TaskStatus = "running" | "succeeded" | "failed";

export interface RunRecord {
  flow: string;
  runId: string;
  status: RunStatus;
  tags: string[];
  /** Parameter name -> artifact reference (parameters are immutable artifacts). */
  parameters: Record<string, ArtifactRef>;
  createdAt: number; // ms since epoch
  finishedAt?: number;
  /** Set when the run is a resume: the run it cloned tasks from. */
  originRunId?: string;
  /** Absolute path of the flow file or notebook, for `resume` and the REPL. */
  source?: string;
  /** The process running the run (its owner) and its machine. */
  pid?: number;
  host?: string;
  /** The signal that stopped the run, when status is killed by one. */
  killedBy?: string;
  /** Step name that failed, when status is failed. */
  failedStep?: string;
}

/** A reference from a task to the encoded bytes of one artifact in the `blobs` database. */
export interface ArtifactRef {
  sha: string; // hex sha256 of the encoded (uncompressed) bytes
  size: number; // encoded size in bytes
  type: string; // a readable type name: number, string, Array, Map, Float64Array, KNN, ...
}

/** One level of split the task is inside of (a static split branch or a foreach child). */
export interface Frame {
  kind: "split" | "foreach";
  step: string; // the step that split
  taskId: string; // the task that split
  index: number; // branch index or foreach index
  count: number; // number of branches or foreach items
}

export interface TaskError {
  name: string;
  message: string;
  /** Stack already mapped to the user's own file:line. */
  stack?: string;
  code?: string;
}

export interface TaskRecord {
  flow: string;
  runId: string;
  step: string;
  taskId: string; // "1", "2", ... counting up within a run
  status: TaskStatus;
  attempt: number;
  artifacts: Record<string, ArtifactRef>;
  /** Transition taken: the next steps, or one step with a foreach over an artifact. */
  next?: { steps: string[]; foreach?: string; count?: number };
  stack: Frame[];
  /** Input task ids (the parent task, or every branch joined). */
  inputs: string[];
  startedAt: number;
  finishedAt?: number;
  pid?: number;
  error?: TaskError;
  /** Pathspec of the task this one was cloned from by `resume`. */
  originPathspec?: string;
  /** Set when `@step({ catch: NAME })` kept the task's exception: the artifact that holds it. */
  caught?: string;
  /**
   * Set when `run --cache` reused this task's results instead of running it: the pathspec of the
   * task that ran (a chain of reuses points at the first one). Its artifacts are that task's.
   */
  reusedFrom?: string;
  /**
   * The task read the datastore through the client API (Flow, Run, Task ...), or (a notebook cell)
   * ran a flow or asked for input: its results may depend on more than its inputs.
   */
  clientRead?: boolean;
  /**
   * What the task displayed (display() in a step or cell), for its card: a blob holding the MIME
   * bundles in order (`{ data, metadata?, displayId? }[]`, encoded like an artifact). Not an
   * artifact: no later step reads it. A blob that a task references this way is in use.
   */
  displays?: ArtifactRef;
  /**
   * A notebook cell's value (its last expression), codec-encoded as `{ of: value }`: shown again,
   * with the task's `displays` and logs, when the task is reused.
   */
  cellValue?: ArtifactRef;
}

/** Where the results for a task cache key are (the newest task that ran, or reused them, with that key). */
export interface CachedTask {
  runId: string;
  step: string;
  taskId: string;
}

export interface TaskLogs {
  stdout: string;
  stderr: string;
}

export interface HistoryEntry {
  session: string; // e.g. a kernel session id or "repl"
  line: number; // execution count
  source: string;
  at: number;
}

/** A blob's encoded bytes: one buffer, or parts read in order as one (store/codec's Encoded). */
export type BlobBytes = Uint8Array | readonly Uint8Array[];

/** What a task commit writes, all in one LMDB transaction. */
export interface TaskCommit {
  task: TaskRecord;
  /**
   * The task's blobs by sha (encoded bytes, uncompressed); the store writes those it does not have.
   * Pass every blob the task set (artifacts, displays), not only new ones: deciding "already
   * stored" belongs to the store's commit, where it cannot race with `steplab gc` deleting the blob.
   */
  blobs: Map<string, BlobBytes>;
  logs?: TaskLogs;
}

/**
 * One datastore root. Reads are synchronous (memory-mapped LMDB); writes are transactions.
 * Many processes may open the same root at once.
 */
export interface Store {
  readonly root: string;

  /** A new run id: time-based microseconds, strictly greater than any run id already issued in this store. */
  newRunId(): string;
  putRun(run: RunRecord): Promise<void>;
  getRun(flow: string, runId: string): RunRecord | undefined;
  /** Runs of a flow, newest first. */
  listRuns(flow: string): RunRecord[];
  listFlows(): string[];

  /** Commit (or update, e.g. status running -> succeeded) a task atomically with its blobs and logs. */
  commitTask(commit: TaskCommit): Promise<void>;
  getTask(flow: string, runId: string, step: string, taskId: string): TaskRecord | undefined;
  /** Step names of a run that have at least one task, in order of their first task id. */
  listSteps(flow: string, runId: string): string[];
  /** Tasks of a step, ordered by numeric task id. */
  listTasks(flow: string, runId: string, step: string): TaskRecord[];
  /** Every task of a run, ordered by numeric task id. */
  listRunTasks(flow: string, runId: string): TaskRecord[];

  hasBlob(sha: string): boolean;
  /**
   * The encoded bytes of a blob (decompressed, a chunked one put together), in memory the caller
   * owns, or throws NotFoundError.
   */
  getBlob(sha: string): Uint8Array;
  /**
   * The keys of the blobs a stored blob names (the chunks of a large one, store/chunks), none for a
   * blob stored whole: whatever keeps a blob keeps these too. Throws NotFoundError for an unknown sha.
   */
  blobChildren(sha: string): string[];
  /**
   * Whether `parts` are exactly the bytes of blob `sha`, told without hashing them, by comparing
   * with a copy this process knows intact (one it wrote or checked). False when it cannot tell so
   * cheaply; the caller then hashes. Optional: a store without a cheap way leaves it out.
   */
  sameBlob?(sha: string, parts: readonly Uint8Array[]): boolean;
  /** Put blobs outside a task commit (IncludeFile content, parameters). */
  putBlobs(blobs: Map<string, BlobBytes>): Promise<void>;

  getLogs(flow: string, runId: string, step: string, taskId: string): TaskLogs | undefined;

  /** The task recorded for a task cache key (`run --cache`), if any; the task itself may be gone since. */
  getCachedTask(flow: string, key: string): CachedTask | undefined;
  /** Records (or replaces) the task whose results a later task with this key may reuse. */
  putCachedTask(flow: string, key: string, task: CachedTask): Promise<void>;

  addHistory(entry: HistoryEntry): Promise<void>;
  /** History entries, oldest first; the last `limit` if given. */
  listHistory(limit?: number): HistoryEntry[];

  /** What `steplab gc` needs beyond these reads (store/gc). */
  collector(): StoreCollector;

  close(): Promise<void>;
}
