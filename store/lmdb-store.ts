/**
 * The datastore: one LMDB environment per root (store/lmdb-env.ts), shared by every Store opened
 * on that root in this process and by other processes through LMDB's own locking. Blobs are
 * content-addressed; a task commit writes its new blobs, its record and its
 * logs in one transaction, so a reader sees a task whole or not at all, even after kill -9.
 */
import { resolve } from "node:path";
import type { RootDatabase } from "lmdb";
import { NotFoundError, SteplabError, StoreError } from "../errors/index.js";
import { packBlobSync } from "./blob-pack.js";
import { verifiedBlob } from "./blob-verify.js";
import {
  type BlobPlan,
  childBlobs,
  chunkBatches,
  chunkBytes,
  headOf,
  isIntactChunk,
  planBlob,
  readStored,
  sizeOf,
  storedEquals,
} from "./chunks.js";
import type { StoreCollector } from "./collector.js";
import { guardReferences, LmdbCollector, notePending, pinIfCollecting, taskBlobs } from "./gc/index.js";
import { compareIds, KEY_MAX, runKey, taskKey } from "./keys.js";
import { type Dbs, forgetShared, INTACT_MEMORY, openShared, type SharedEnv } from "./lmdb-env.js";
import { runPathspec, taskPathspec } from "./pathspec.js";
import { resolveStoreRoot } from "./root.js";
import { withLiveStatus } from "./run-owner.js";
import { blobOwners, blobViews } from "./lmdb-reads.js";
import { checkRoom, commitError, queued, writeError } from "./write-failure.js";
import type { CachedTask, HistoryEntry, RunRecord, Store, TaskCommit, TaskLogs, TaskRecord, BlobBytes } from "./types.js";

export { resolveStoreRoot } from "./root.js";

/**
 * Commits whose new blobs and logs total at most this many bytes are written synchronously:
 * ~25 µs on the calling thread instead of ~150 µs or more through lmdb-js's writer thread, which
 * a notebook cell pays on every run. Larger ones go the async way, so copying megabytes does not
 * block the event loop.
 */
const SYNC_COMMIT_BYTES = 64 * 1024;

/**
 * Chunks of a large blob are written this many bytes per transaction, before the transaction that
 * commits the task: LMDB keeps a transaction's pages in memory until it commits, so a 1 GB value in
 * one transaction would cost another GB. Each transaction also costs its own ~100 ms here (a
 * 100 MB value in two took ~230 ms, in one ~160 ms), so a transaction holds up to 128 MB.
 */
const CHUNK_TRANSACTION_BYTES = 128 * 1024 * 1024;

export interface LmdbStoreOptions {
  /** Blobs larger than this are stored in chunks of this size (default: STEPLAB_CHUNK_MB, else 16 MiB). */
  chunkBytes?: number;
}

/** Opens (creating if needed) the datastore at `root`, by default the one resolveStoreRoot finds. */
export function openStore(root: string = resolveStoreRoot(), options: LmdbStoreOptions = {}): Store {
  return new LmdbStore(resolve(root), options);
}

class LmdbStore implements Store {
  readonly root: string;
  #shared: SharedEnv | undefined;
  readonly #chunkBytes: number;

  constructor(root: string, options: LmdbStoreOptions) {
    this.root = root;
    this.#chunkBytes = chunkBytes(options.chunkBytes);
    this.#shared = openShared(root);
  }

  get #env(): RootDatabase {
    return this.#live().env;
  }

  get #dbs(): Dbs {
    return this.#live().dbs;
  }

  #live(): SharedEnv {
    if (!this.#shared) throw new StoreError(`the datastore at ${this.root} is closed; open it again with openStore()`);
    return this.#shared;
  }

  async #write(what: string, body: () => void): Promise<void> {
    try {
      // A child transaction inside lmdb-js's batched write: if `body` throws, only its writes are
      // rolled back (a plain `transaction` callback that throws still commits what it wrote).
      await this.#env.childTransaction(body);
    } catch (err) {
      // A commit refused by the gc protocol says so itself (MissingBlobError).
      if (err instanceof SteplabError) throw err;
      throw await commitError(err, what, this.root);
    }
  }

  /** One synchronous write transaction; if `body` throws, none of its writes are kept. */
  #writeSync(what: string, body: () => void): void {
    try {
      this.#env.transactionSync(body);
    } catch (err) {
      // A commit refused by the gc protocol says so itself (MissingBlobError).
      if (err instanceof SteplabError) throw err;
      throw writeError(err, what, this.root);
    }
  }

  newRunId(): string {
    const { meta } = this.#dbs;
    checkRoom(0, "a new run id", this.root);
    // A synchronous write transaction holds LMDB's writer lock, so two processes cannot both read
    // the same last id.
    return this.#env.transactionSync(() => {
      const last = meta.get("lastRunId") ?? 0;
      const nowMicros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
      const next = Math.max(nowMicros, last + 1);
      meta.putSync("lastRunId", next);
      return String(next);
    });
  }

  async putRun(run: RunRecord): Promise<void> {
    const { runs, gc } = this.#dbs;
    checkRoom(0, `run ${runPathspec(run)}`, this.root);
    await this.#write(`run ${runPathspec(run)}`, () => {
      queued(runs.put(runKey(run.flow, run.runId), run));
      pinIfCollecting(
        gc,
        Object.values(run.parameters).map((p) => p.sha),
      );
    });
  }

  getRun(flow: string, runId: string): RunRecord | undefined {
    return withLiveStatus(this.#dbs.runs.get(runKey(flow, runId)));
  }

  listRuns(flow: string): RunRecord[] {
    const runs = [...this.#dbs.runs.getRange({ start: [flow, KEY_MAX], end: [flow], reverse: true }).map((e) => e.value)];
    // Keys already order numeric ids; non-numeric ids (not issued by newRunId) still sort sanely.
    return runs.sort((a, b) => compareIds(b.runId, a.runId)).map(withLiveStatus);
  }

  listFlows(): string[] {
    const { runs } = this.#dbs;
    const flows: string[] = [];
    // Skip from one flow's first key to the next flow's, instead of reading every run.
    let start: unknown[] | undefined;
    for (;;) {
      const range = start === undefined ? { limit: 1 } : { start, limit: 1 };
      const [key] = [...runs.getKeys(range as { limit: number })];
      if (!key) return flows;
      const flow = String(key[0]);
      flows.push(flow);
      start = [flow, KEY_MAX];
    }
  }

  async commitTask({ task, blobs, logs }: TaskCommit): Promise<void> {
    const dbs = this.#dbs;
    const fresh = [...blobs].filter(([sha]) => !this.hasBlob(sha));
    const key = taskKey(task.flow, task.runId, task.step, task.taskId);
    const what = `task ${taskPathspec(task)}`;
    const refs = taskBlobs(task);
    const sizes = fresh.map(([, b]) => sizeOf(b));
    const bytes = sizes.reduce((n, size) => n + size, 0) + (logs ? logs.stdout.length + logs.stderr.length : 0);
    checkRoom(bytes, what, this.root);
    if (bytes <= SYNC_COMMIT_BYTES && sizes.every((size) => size <= this.#chunkBytes)) {
      const packed = fresh.map(([sha, b]): [string, Uint8Array] => [sha, packBlobSync(b instanceof Uint8Array ? b : Buffer.concat(b))]);
      this.#writeSync(what, () => {
        for (const [sha, data] of packed) if (!this.hasBlob(sha)) dbs.blobs.putSync(sha, data);
        guardReferences(dbs, what, refs, blobs, this.#chunkBytes);
        dbs.tasks.putSync(key, task);
        if (logs) dbs.logs.putSync(key, logs);
      });
      this.#wrote(fresh);
      return;
    }
    const heads = await this.#writeChunks(fresh);
    await this.#write(what, () => {
      for (const [sha, data] of heads) if (!this.hasBlob(sha)) queued(dbs.blobs.put(sha, data));
      guardReferences(dbs, what, refs, blobs, this.#chunkBytes);
      queued(dbs.tasks.put(key, task));
      if (logs) queued(dbs.logs.put(key, logs));
    });
    this.#wrote(fresh);
  }

  /**
   * Blobs this process just wrote are intact: their shas were computed from these very bytes, so
   * the next step reading them in this process need not hash them again (a 100 MB artifact: ~60 ms).
   */
  #wrote(blobs: Iterable<[string, BlobBytes]>): void {
    const { intact } = this.#live();
    for (const [sha] of blobs) {
      if (intact.size >= INTACT_MEMORY) intact.clear();
      intact.add(sha);
    }
  }

  /**
   * Writes the chunks of the blobs not yet in the store, a batch at a time; returns what goes under
   * each blob's own sha (a manifest, or the whole blob packed), for the caller's transaction. Chunks
   * written by a commit that then fails are not referenced by anything; the same chunks written
   * again are stored once.
   */
  async #writeChunks(blobs: Iterable<[string, BlobBytes]>): Promise<[string, Uint8Array][]> {
    const { blobs: db, gc } = this.#dbs;
    const has = (key: string) => db.doesExist(key);
    const plans: BlobPlan[] = [...blobs]
      .filter(([sha]) => !this.hasBlob(sha))
      .map(([sha, bytes]) => planBlob(sha, bytes, this.#chunkBytes, has));
    checkRoom(
      plans.reduce((n, plan) => n + plan.size, 0),
      `${plans.length} artifact blob(s)`,
      this.root,
    );
    // Chunks go in as they are: deflating hundreds of MB costs a run more time than the local disk
    // it saves (a million rows: a sixth of the flow). Blobs up to the chunk size are compressed when
    // that pays; on S3, where the network is slower than deflate, chunks are too.
    for (const batch of chunkBatches(plans, CHUNK_TRANSACTION_BYTES)) {
      await this.#write(`${batch.length} chunk(s) of artifact data`, () => {
        for (const [key, data] of batch) if (!has(key)) queued(db.put(key, data));
        // Not referenced until the commit's own transaction: a gc holding the lease keeps them.
        pinIfCollecting(
          gc,
          batch.map(([key]) => key),
        );
      });
    }
    return Promise.all(plans.map(async (plan): Promise<[string, Uint8Array]> => [plan.sha, await headOf(plan)]));
  }

  getTask(flow: string, runId: string, step: string, taskId: string): TaskRecord | undefined {
    return this.#dbs.tasks.get(taskKey(flow, runId, step, taskId));
  }

  listSteps(flow: string, runId: string): string[] {
    const steps = new Set<string>();
    for (const task of this.listRunTasks(flow, runId)) steps.add(task.step);
    return [...steps];
  }

  listTasks(flow: string, runId: string, step: string): TaskRecord[] {
    const prefix = [...runKey(flow, runId), step];
    const tasks = [...this.#dbs.tasks.getRange({ start: prefix, end: [...prefix, KEY_MAX] }).map((e) => e.value)];
    return tasks.sort((a, b) => compareIds(a.taskId, b.taskId));
  }

  listRunTasks(flow: string, runId: string): TaskRecord[] {
    const prefix = runKey(flow, runId);
    const tasks = [...this.#dbs.tasks.getRange({ start: prefix, end: [...prefix, KEY_MAX] }).map((e) => e.value)];
    return tasks.sort((a, b) => compareIds(a.taskId, b.taskId));
  }

  /** Whether an intact copy is stored: a damaged one is not reused by dedup, the next write replaces it. */
  hasBlob(sha: string): boolean {
    const { intact, dbs } = this.#live();
    if (intact.has(sha)) return true;
    if (!dbs.blobs.doesExist(sha)) return false;
    try {
      this.#read(sha, false);
      return true;
    } catch {
      // Not an intact blob: perhaps an intact chunk of one (store/chunks), stored under its own key.
      const stored = dbs.blobs.getBinary(sha);
      if (!stored || !isIntactChunk(sha, stored)) return false;
      intact.add(sha);
      return true;
    }
  }

  getBlob(sha: string): Uint8Array {
    return this.#read(sha, true);
  }

  /**
   * Compared with LMDB's pages where they lie: a step handing back unchanged the 100 MB array it
   * read costs a compare (~15 ms here) instead of a hash (~60 ms). Only for a blob this process
   * knows intact, so equal bytes have its sha.
   */
  sameBlob(sha: string, parts: readonly Uint8Array[]): boolean {
    if (!this.#live().intact.has(sha)) return false;
    const view = blobViews(this.#dbs.blobs);
    const stored = view(sha);
    return stored !== undefined && storedEquals(stored, view, parts);
  }

  #read(sha: string, nameOwners: boolean): Uint8Array {
    const { intact } = this.#live();
    // readStored copies each view out at once, straight into the buffer it returns.
    const view = blobViews(this.#dbs.blobs);
    const stored = view(sha);
    if (!stored) throw new NotFoundError(`artifact data ${sha} is not in the datastore at ${this.root}`);
    // Hashed once per process: a blob this process wrote, or already read whole, is not hashed again.
    if (intact.has(sha)) return readStored(sha, stored, view, this.root);
    const bytes = verifiedBlob(sha, () => readStored(sha, stored, view, this.root), {
      store: this.root,
      owners: nameOwners ? () => blobOwners(this.#dbs.tasks, sha) : undefined,
    });
    if (intact.size >= INTACT_MEMORY) intact.clear();
    intact.add(sha);
    return bytes;
  }

  blobChildren(sha: string): string[] {
    const stored = blobViews(this.#dbs.blobs)(sha);
    if (!stored) throw new NotFoundError(`artifact data ${sha} is not in the datastore at ${this.root}`);
    return childBlobs(stored);
  }

  async putBlobs(blobs: Map<string, BlobBytes>): Promise<void> {
    const dbs = this.#dbs;
    const heads = await this.#writeChunks(blobs);
    if (blobs.size === 0) return;
    const what = `${blobs.size} artifact blob(s)`;
    await this.#write(what, () => {
      for (const [sha, data] of heads) if (!this.hasBlob(sha)) queued(dbs.blobs.put(sha, data));
      // Even those already stored: a gc may be deleting them until a record refers to them (store/gc).
      guardReferences(
        dbs,
        what,
        [...blobs.keys()].map((sha): [string, string] => [sha, sha]),
        blobs,
        this.#chunkBytes,
      );
      // Pending until the run record or task that uses them is written (see store/gc).
      notePending(dbs.gc, blobs.keys());
    });
  }

  getLogs(flow: string, runId: string, step: string, taskId: string): TaskLogs | undefined {
    return this.#dbs.logs.get(taskKey(flow, runId, step, taskId));
  }

  getCachedTask(flow: string, key: string): CachedTask | undefined {
    return this.#dbs.taskCache.get([flow, key]);
  }

  async putCachedTask(flow: string, key: string, task: CachedTask): Promise<void> {
    const { taskCache } = this.#dbs;
    const entry: CachedTask = { runId: task.runId, step: task.step, taskId: task.taskId };
    // A few dozen bytes: written synchronously, like a small task commit (see SYNC_COMMIT_BYTES).
    this.#writeSync(`the task cache entry of ${taskPathspec({ flow, ...entry })}`, () => {
      taskCache.putSync([flow, key], entry);
    });
  }

  async addHistory(entry: HistoryEntry): Promise<void> {
    const { meta, history } = this.#dbs;
    checkRoom(0, "a history entry", this.root);
    await this.#write("a history entry", () => {
      const seq = (meta.get("historySeq") ?? 0) + 1;
      queued(meta.put("historySeq", seq));
      queued(history.put(seq, entry));
    });
  }

  listHistory(limit?: number): HistoryEntry[] {
    const { history } = this.#dbs;
    if (limit === undefined) return [...history.getRange({}).map((e) => e.value)];
    if (limit <= 0) return [];
    return [...history.getRange({ reverse: true, limit }).map((e) => e.value)].reverse();
  }

  collector(): StoreCollector {
    return new LmdbCollector(this.root, this.#live(), () => this.#closeEnvForCompaction());
  }

  /** Closes the environment for every handle in this process (compaction replaces its file). */
  async #closeEnvForCompaction(): Promise<void> {
    const shared = this.#live();
    if (shared.refs > 1) {
      throw new StoreError(`the datastore at ${this.root} is open ${shared.refs} times in this process; close the other handles first`);
    }
    this.#shared = undefined;
    forgetShared(this.root);
    await shared.env.close();
  }

  async close(): Promise<void> {
    const shared = this.#shared;
    if (!shared) return;
    this.#shared = undefined;
    if (--shared.refs > 0) return;
    forgetShared(this.root);
    // noSync: flush once here, instead of on every commit.
    await new Promise<void>((resolve) => (shared.env as unknown as { sync(cb: () => void): void }).sync(() => resolve()));
    await shared.env.close();
  }
}
