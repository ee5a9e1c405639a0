/**
 * The datastore: one LMDB environment per root, shared by every Store opened on that root in this
 * process (LMDB must not be opened twice in one process) and by other processes through LMDB's
 * own locking. Blobs are content-addressed; a task commit writes its new blobs, its record and its
 * logs in one transaction, so a reader sees a task whole or not at all, even after kill -9.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { open, type Database, type RootDatabase } from "lmdb";
import { NotFoundError, SteplabError, StoreError } from "../errors/index.js";
import { packBlob, packBlobSync, unpackBlob } from "./blob-pack.js";
import type { StoreCollector } from "./collector.js";
import { guardReferences, LmdbCollector, notePending, openGcDbs, pinIfCollecting, type GcDbs } from "./gc/index.js";
import { compareIds, KEY_MAX, runKey, taskKey } from "./keys.js";
import { runPathspec, taskPathspec } from "./pathspec.js";
import { resolveStoreRoot } from "./root.js";
import type { CachedTask, HistoryEntry, RunRecord, Store, TaskCommit, TaskLogs, TaskRecord } from "./types.js";

export { resolveStoreRoot } from "./root.js";

/** The same record encoding for every database that holds records (lmdb-js passes these to msgpackr). */
const RECORD_OPTIONS = {
  encoding: "msgpack",
  // Shared msgpack structures live in the database and race between processes; plain maps do not.
  useRecords: false,
} as const;

type MetaValue = number;

/**
 * Commits whose new blobs and logs total at most this many bytes are written synchronously:
 * ~25 µs on the calling thread instead of ~150 µs or more through lmdb-js's writer thread, which
 * a notebook cell pays on every run. Larger ones go the async way, so copying megabytes does not
 * block the event loop.
 */
const SYNC_COMMIT_BYTES = 64 * 1024;

interface Dbs {
  blobs: Database<Uint8Array, string>;
  runs: Database<RunRecord, (string | number)[]>;
  tasks: Database<TaskRecord, (string | number)[]>;
  logs: Database<TaskLogs, (string | number)[]>;
  history: Database<HistoryEntry, number>;
  meta: Database<MetaValue, string>;
  /** Task cache index (`run --cache`): [flow, key] -> the task holding those results. */
  taskCache: Database<CachedTask, string[]>;
  gc: GcDbs;
}

interface SharedEnv {
  env: RootDatabase;
  dbs: Dbs;
  refs: number;
}

const openEnvs = new Map<string, SharedEnv>();

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function openShared(root: string): SharedEnv {
  const existing = openEnvs.get(root);
  if (existing) {
    existing.refs++;
    return existing;
  }
  let env: RootDatabase;
  try {
    mkdirSync(root, { recursive: true });
    env = open({
      path: root,
      // The root may look like a file name (".../store.db"); it is always a directory.
      noSubdir: false,
      maxDbs: 16,
      maxReaders: 512,
      // No mapSize: lmdb-js starts small and grows the map as the file grows, so one 100 MB
      // artifact needs no configuration and an idle store reserves no address space.
      // Commits are not fsynced one by one (an fsync costs ~6 ms here, more than a notebook
      // cell's whole run): a killed process loses nothing committed, since the pages are in the
      // OS cache; only an OS crash or power loss can lose the latest commits. Metaflow's local
      // datastore does not fsync either. The environment is flushed when the store closes.
      noSync: true,
    });
  } catch (err) {
    throw new StoreError(
      `cannot open the steplab datastore at ${root}: ${message(err)}. ` +
        `Check that this directory can be created and written, or set STEPLAB_DATASTORE to another directory.`,
    );
  }
  const dbs: Dbs = {
    blobs: env.openDB<Uint8Array, string>("blobs", { encoding: "binary" }),
    runs: env.openDB("runs", RECORD_OPTIONS),
    tasks: env.openDB("tasks", RECORD_OPTIONS),
    logs: env.openDB("logs", RECORD_OPTIONS),
    history: env.openDB("history", RECORD_OPTIONS),
    meta: env.openDB("meta", RECORD_OPTIONS),
    taskCache: env.openDB("taskCache", RECORD_OPTIONS),
    gc: openGcDbs(env, RECORD_OPTIONS),
  };
  const shared = { env, dbs, refs: 1 };
  openEnvs.set(root, shared);
  return shared;
}

/** Opens (creating if needed) the datastore at `root`, by default the one resolveStoreRoot finds. */
export function openStore(root: string = resolveStoreRoot()): Store {
  return new LmdbStore(resolve(root));
}

class LmdbStore implements Store {
  readonly root: string;
  #shared: SharedEnv | undefined;

  constructor(root: string) {
    this.root = root;
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
      throw new StoreError(`could not write ${what} to the steplab datastore at ${this.root}: ${message(err)}`);
    }
  }

  /** One synchronous write transaction; if `body` throws, none of its writes are kept. */
  #writeSync(what: string, body: () => void): void {
    try {
      this.#env.transactionSync(body);
    } catch (err) {
      // A commit refused by the gc protocol says so itself (MissingBlobError).
      if (err instanceof SteplabError) throw err;
      throw new StoreError(`could not write ${what} to the steplab datastore at ${this.root}: ${message(err)}`);
    }
  }

  newRunId(): string {
    const { meta } = this.#dbs;
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
    await this.#write(`run ${runPathspec(run)}`, () => {
      void runs.put(runKey(run.flow, run.runId), run);
      pinIfCollecting(
        gc,
        Object.values(run.parameters).map((p) => p.sha),
      );
    });
  }

  getRun(flow: string, runId: string): RunRecord | undefined {
    return this.#dbs.runs.get(runKey(flow, runId));
  }

  listRuns(flow: string): RunRecord[] {
    const runs = [...this.#dbs.runs.getRange({ start: [flow, KEY_MAX], end: [flow], reverse: true }).map((e) => e.value)];
    // Keys already order numeric ids; non-numeric ids (not issued by newRunId) still sort sanely.
    return runs.sort((a, b) => compareIds(b.runId, a.runId));
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
    const fresh = [...blobs].filter(([sha]) => !dbs.blobs.doesExist(sha));
    const key = taskKey(task.flow, task.runId, task.step, task.taskId);
    const what = `task ${taskPathspec(task)}`;
    const refs = Object.entries(task.artifacts).map(([name, ref]): [string, string] => [name, ref.sha]);
    const bytes = fresh.reduce((n, [, b]) => n + b.byteLength, 0) + (logs ? logs.stdout.length + logs.stderr.length : 0);
    if (bytes <= SYNC_COMMIT_BYTES) {
      const packed = fresh.map(([sha, bytes]): [string, Uint8Array] => [sha, packBlobSync(bytes)]);
      this.#writeSync(what, () => {
        for (const [sha, data] of packed) if (!dbs.blobs.doesExist(sha)) dbs.blobs.putSync(sha, data);
        guardReferences(dbs, what, refs, blobs);
        dbs.tasks.putSync(key, task);
        if (logs) dbs.logs.putSync(key, logs);
      });
      return;
    }
    const packed = await this.#packNew(blobs);
    await this.#write(what, () => {
      for (const [sha, data] of packed) if (!dbs.blobs.doesExist(sha)) void dbs.blobs.put(sha, data);
      guardReferences(dbs, what, refs, blobs);
      void dbs.tasks.put(key, task);
      if (logs) void dbs.logs.put(key, logs);
    });
  }

  /** Stored forms of the blobs not yet in the store; compressed outside the write transaction. */
  async #packNew(blobs: Map<string, Uint8Array>): Promise<[string, Uint8Array][]> {
    const { blobs: db } = this.#dbs;
    const fresh = [...blobs].filter(([sha]) => !db.doesExist(sha));
    return Promise.all(fresh.map(async ([sha, bytes]): Promise<[string, Uint8Array]> => [sha, await packBlob(bytes)]));
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

  hasBlob(sha: string): boolean {
    return this.#dbs.blobs.doesExist(sha);
  }

  getBlob(sha: string): Uint8Array {
    // getBinary returns a copy the caller owns (decoded typed arrays may be views on it).
    const data = this.#dbs.blobs.getBinary(sha);
    if (!data) throw new NotFoundError(`artifact data ${sha} is not in the datastore at ${this.root}`);
    return unpackBlob(data);
  }

  async putBlobs(blobs: Map<string, Uint8Array>): Promise<void> {
    const { blobs: db, gc } = this.#dbs;
    const packed = await this.#packNew(blobs);
    if (blobs.size === 0) return;
    await this.#write(`${blobs.size} artifact blob(s)`, () => {
      for (const [sha, data] of packed) if (!db.doesExist(sha)) void db.put(sha, data);
      // Pending until the run record or task that uses them is written (see store/gc).
      notePending(gc, blobs.keys());
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
    await this.#write("a history entry", () => {
      const seq = (meta.get("historySeq") ?? 0) + 1;
      void meta.put("historySeq", seq);
      void history.put(seq, entry);
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
    openEnvs.delete(this.root);
    await shared.env.close();
  }

  async close(): Promise<void> {
    const shared = this.#shared;
    if (!shared) return;
    this.#shared = undefined;
    if (--shared.refs > 0) return;
    openEnvs.delete(this.root);
    // noSync: flush once here, instead of on every commit.
    await new Promise<void>((resolve) => (shared.env as unknown as { sync(cb: () => void): void }).sync(() => resolve()));
    await shared.env.close();
  }
}
