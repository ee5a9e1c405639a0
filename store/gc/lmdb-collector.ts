/**
 * The gc protocol (types.ts) over the LMDB store. Every change is one write transaction; LMDB has
 * one writer at a time across processes, so a commit comes wholly before or after each of them.
 */
import type { Database, RootDatabase } from "lmdb";
import { childBlobs } from "../chunks.js";
import { blobViews } from "../lmdb-reads.js";
import { StoreFullError } from "../errors.js";
import { freeBytes, writeError } from "../write-failure.js";
import type { CachedTask, RunRecord, TaskLogs, TaskRecord } from "../types.js";
import { KEY_MAX, runKey } from "../keys.js";
import { runPathspec } from "../pathspec.js";
import { compactEnvironment } from "./lmdb-compact.js";
import { LEASE_KEY, type GcDbs } from "./lmdb-dbs.js";
import { SteplabError } from "../../errors/index.js";
import { GcBusyError } from "../collector-errors.js";
import { ownerAlive } from "./owner.js";
import { taskBlobs } from "./task-blobs.js";
import type { CompactResult, GcOwner, PendingBlob, RunKey, StoreCollector, SweepResult, TaskReferences } from "../collector.js";

type Key = (string | number)[];

export interface LmdbHandles {
  env: RootDatabase;
  dbs: {
    blobs: Database<Uint8Array, string>;
    runs: Database<RunRecord, Key>;
    tasks: Database<TaskRecord, Key>;
    logs: Database<TaskLogs, Key>;
    taskCache: Database<CachedTask, string[]>;
    gc: GcDbs;
  };
  /** Blobs this process found intact (the store skips checking them again): forgotten when swept. */
  intact?: Set<string>;
}

function prettyKb(bytes: number): string {
  return `${Math.floor(bytes / 1024)} KB`;
}

/** Blobs deleted per transaction. */
const SWEEP_BATCH = 1000;

function describeOwner(owner: GcOwner): string {
  return `pid ${owner.pid} on ${owner.host}, since ${new Date(owner.at).toISOString()}`;
}

export class LmdbCollector implements StoreCollector {
  readonly kind = "lmdb";

  constructor(
    readonly root: string,
    private readonly handles: LmdbHandles,
    /** Closes the environment in this process, for compaction. */
    private readonly closeEnv: () => Promise<void>,
  ) {}

  private get dbs() {
    return this.handles.dbs;
  }

  /**
   * One write transaction of gc's own. Unlike the store's writes, it does not check the disk's
   * free space first (checkRoom): deleting is how a full disk gets space back, and a small delete
   * needs only a few pages, mostly ones LMDB freed inside its file before. A disk with no room
   * at all for those is named as such, with what to do (not "run gc").
   */
  private write<T>(what: string, body: () => T): T {
    try {
      return this.handles.env.transactionSync(body);
    } catch (err) {
      if (err instanceof SteplabError) throw err;
      const failure = writeError(err, what, this.root);
      if (!(failure instanceof StoreFullError)) throw failure;
      const free = freeBytes(this.root);
      throw new StoreFullError(
        `the disk holding the steplab datastore at ${this.root} is full${free === undefined ? "" : ` (${prettyKb(free)} free)`}: ` +
          `gc could not write ${what}. Deleting takes a little room too (a few hundred KB; more for runs of thousands of tasks): ` +
          "free that much elsewhere on the disk and run gc again. What gc had not finished is unchanged.",
      );
    }
  }

  taskReferences(): TaskReferences[] {
    const refs: TaskReferences[] = [];
    for (const { value: task } of this.dbs.tasks.getRange({})) {
      refs.push({ flow: task.flow, runId: task.runId, shas: taskBlobs(task).map(([, sha]) => sha) });
    }
    return refs;
  }

  blobShas(): string[] {
    return [...this.dbs.blobs.getKeys({})];
  }

  storedSizes(shas: Iterable<string>): Map<string, number> {
    const sizes = new Map<string, number>();
    for (const sha of shas) {
      // A view on the mapped page, not a copy: cheap even for a 100 MB blob.
      const stored = this.dbs.blobs.getBinaryFast(sha);
      if (stored) sizes.set(sha, stored.length);
    }
    return sizes;
  }

  childBlobs(sha: string): string[] {
    // A view on the mapped page: a whole blob costs a lookup and one byte read, however large.
    const stored = blobViews(this.dbs.blobs)(sha);
    return stored ? childBlobs(stored) : [];
  }

  pendingBlobs(): PendingBlob[] {
    return [...this.dbs.gc.pending.getRange({})].map(({ key, value }) => ({ sha: key, at: value.at, pid: value.pid }));
  }

  async acquireLease(owner: GcOwner): Promise<void> {
    const { state, pins } = this.dbs.gc;
    this.write("the gc lease", () => {
      const held = state.get(LEASE_KEY);
      if (held && ownerAlive(held.pid, held.at)) throw new GcBusyError(describeOwner(held));
      // A lease left by a gc that died: its pins are stale.
      for (const sha of pins.getKeys({})) pins.removeSync(sha);
      state.putSync(LEASE_KEY, owner);
    });
  }

  async releaseLease(): Promise<void> {
    const { state, pins } = this.dbs.gc;
    this.write("the end of the gc lease", () => {
      state.removeSync(LEASE_KEY);
      for (const sha of pins.getKeys({})) pins.removeSync(sha);
    });
  }

  /**
   * One transaction per run (a run goes whole or not at all), after one for the task cache:
   * small transactions need few new pages, and each reuses those the ones before it freed, so gc
   * works on a disk with no room left.
   */
  async deleteRuns(runs: RunKey[]): Promise<number> {
    const { runs: runDb, tasks, logs, taskCache } = this.dbs;
    let deleted = 0;
    const doomed = new Set(runs.map(runPathspec));
    this.write("the task cache entries of deleted runs", () => {
      // Entries (run --cache) that point into these runs: nothing to reuse there any more.
      for (const flow of new Set(runs.map((r) => r.flow))) {
        for (const { key, value } of taskCache.getRange({ start: [flow], end: [flow, KEY_MAX] })) {
          if (doomed.has(runPathspec({ flow, runId: value.runId }))) taskCache.removeSync(key);
        }
      }
    });
    for (const run of runs) {
      const prefix = runKey(run.flow, run.runId);
      const range = { start: prefix, end: [...prefix, KEY_MAX] };
      this.write(`the deletion of run ${runPathspec(run)}`, () => {
        for (const key of [...tasks.getKeys(range)]) {
          tasks.removeSync(key);
          deleted++;
        }
        for (const key of [...logs.getKeys(range)]) logs.removeSync(key);
        runDb.removeSync(prefix);
      });
    }
    return deleted;
  }

  /**
   * Deletes the candidates SWEEP_BATCH at a time (small transactions, as deleteRuns). Each batch
   * reads the pins again inside its own transaction: a commit between two batches pins what it
   * refers to before the next batch can delete it, and finds missing what an earlier batch
   * deleted (see lmdb-guard.ts), as after a sweep in one piece.
   */
  async sweep(candidates: string[], forget: string[], protect: (pinned: Set<string>) => Set<string>): Promise<SweepResult> {
    const { blobs, gc } = this.dbs;
    const result: SweepResult = { blobs: 0, bytes: 0, pinned: 0, sizes: new Map() };
    for (let at = 0; at === 0 || at < candidates.length; at += SWEEP_BATCH) {
      const batch = candidates.slice(at, at + SWEEP_BATCH);
      const last = at + SWEEP_BATCH >= candidates.length;
      this.write(`the deletion of ${batch.length} unused blob(s)`, () => {
        const keep = protect(new Set(gc.pins.getKeys({})));
        for (const sha of batch) {
          if (keep.has(sha)) {
            result.pinned++;
            continue;
          }
          const stored = blobs.getBinaryFast(sha);
          if (!stored) continue;
          result.bytes += stored.length;
          result.blobs++;
          result.sizes.set(sha, stored.length);
          blobs.removeSync(sha);
          this.handles.intact?.delete(sha);
        }
        if (last) for (const sha of forget) if (!keep.has(sha)) gc.pending.removeSync(sha);
      });
    }
    return result;
  }

  compact(): Promise<CompactResult> {
    return compactEnvironment(this.root, this.handles.env, this.closeEnv);
  }
}
