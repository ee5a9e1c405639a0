/**
 * A datastore on shared infrastructure: artifact blobs in S3, run/task metadata, logs and history
 * in PostgreSQL. It implements the same synchronous Store interface as the LMDB store, so the
 * client API, dump, logs, resume, the kernel and the scheduler use it unchanged.
 *
 * How reads stay synchronous (the client API is): metadata reads go live to PostgreSQL through
 * the store's I/O thread, the caller blocking until the answer (one round trip, always fresh —
 * a run in progress is written by other machines). Blobs are immutable by content, so they are
 * cached in a local LMDB read cache (on local disk, never shared over a network filesystem) and
 * fetched from S3 only on a miss.
 */
import os from "node:os";
import path from "node:path";
import { verifiedBlob } from "../blob-verify.js";
import { chunkBytes, readStored, childBlobs } from "../chunks.js";
import { BlobDamagedError } from "../errors.js";
import { taskPathspec } from "../pathspec.js";
import type { CachedTask, HistoryEntry, RunRecord, Store, TaskCommit, TaskLogs, TaskRecord, BlobBytes } from "../types.js";
import type { StoreCollector } from "../collector.js";
import { BlobCache, cacheMaxBytes } from "./blob-cache.js";
import { loadRemoteConfig, type RemoteConfig } from "./config.js";
import { RemoteCollector } from "./remote-collector.js";
import { DEFAULT_TIMEOUT_MS, SyncBridge } from "./sync-bridge.js";
import { withLiveStatus } from "../run-owner.js";
import { formatS3Root, parseS3Root } from "../s3/index.js";

/** A blob of hundreds of MB may take a while to come down; metadata calls keep the shorter deadline. */
const BLOB_TIMEOUT_MS = 600_000;

export interface RemoteStoreOptions {
  config?: RemoteConfig;
  /** The local LMDB blob cache (default: STEPLAB_CACHE_DIR, else ~/.cache/steplab/blobs). */
  cacheDir?: string;
  /** Its bound in bytes (default: STEPLAB_CACHE_MAX_MB, else 4096 MB). */
  cacheMaxBytes?: number;
  timeoutMs?: number;
  /** Blobs larger than this are stored in chunks of this size (default: STEPLAB_CHUNK_MB, else 16 MiB). */
  chunkBytes?: number;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STEPLAB_CACHE_DIR) return path.resolve(env.STEPLAB_CACHE_DIR);
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "steplab", "blobs");
}

export class RemoteStore implements Store {
  readonly root: string;
  readonly #bridge: SyncBridge;
  readonly #cache: BlobCache;

  constructor(root: string, opts: RemoteStoreOptions = {}) {
    this.root = formatS3Root(parseS3Root(root));
    const config = opts.config ?? loadRemoteConfig();
    const timeout = opts.timeoutMs ?? (Number(process.env.STEPLAB_REMOTE_TIMEOUT_MS) || DEFAULT_TIMEOUT_MS);
    this.#bridge = new SyncBridge(
      { root: this.root, dbUrl: config.dbUrl, s3: config.s3, configFile: config.configFile, chunkBytes: chunkBytes(opts.chunkBytes) },
      timeout,
    );
    this.#cache = new BlobCache(opts.cacheDir ?? defaultCacheDir(), { maxBytes: opts.cacheMaxBytes ?? cacheMaxBytes() });
  }

  newRunId(): string {
    return this.#bridge.callSync<string>("newRunId");
  }

  putRun(run: RunRecord): Promise<void> {
    return this.#bridge.call("putRun", [run]);
  }

  getRun(flow: string, runId: string): RunRecord | undefined {
    return withLiveStatus(this.#bridge.callSync<RunRecord | null>("getRun", [flow, runId]) ?? undefined);
  }

  listRuns(flow: string): RunRecord[] {
    return this.#bridge.callSync<RunRecord[]>("listRuns", [flow]).map(withLiveStatus);
  }

  listFlows(): string[] {
    return this.#bridge.callSync("listFlows");
  }

  commitTask({ task, blobs, logs }: TaskCommit): Promise<void> {
    return this.#bridge.call("commitTask", [{ task, blobs: [...blobs], logs }]);
  }

  getTask(flow: string, runId: string, step: string, taskId: string): TaskRecord | undefined {
    return this.#bridge.callSync("getTask", [flow, runId, step, taskId]) ?? undefined;
  }

  listSteps(flow: string, runId: string): string[] {
    return this.#bridge.callSync("listSteps", [flow, runId]);
  }

  listTasks(flow: string, runId: string, step: string): TaskRecord[] {
    return this.#bridge.callSync("listTasks", [flow, runId, step]);
  }

  listRunTasks(flow: string, runId: string): TaskRecord[] {
    return this.#bridge.callSync("listTasks", [flow, runId]);
  }

  hasBlob(sha: string): boolean {
    return this.#cache.has(sha) || this.#bridge.callSync<boolean>("hasBlob", [sha]);
  }

  getBlob(sha: string): Uint8Array {
    const read = new Set<string>();
    const stored = (key: string): Uint8Array => {
      read.add(key);
      return this.#stored(key);
    };
    // Outside the check: a blob that is not there is NotFoundError, not damage.
    const head = stored(sha);
    try {
      return verifiedBlob(sha, () => readStored(sha, head, stored, this.root), {
        store: this.root,
        copy: `its local cache at ${this.#cache.dir}`,
      });
    } catch (err) {
      if (!(err instanceof BlobDamagedError)) throw err;
    }
    // A damaged copy in the local cache, or in S3: drop what was cached, and read S3's own.
    for (const key of read) void this.#cache.remove(key).catch(() => undefined);
    const fromS3 = (key: string) => this.#download(key);
    const s3Head = fromS3(sha);
    try {
      return verifiedBlob(sha, () => readStored(sha, s3Head, fromS3, this.root), {
        store: this.root,
        copy: "its S3 object",
        owners: () => this.#owners(sha),
      });
    } catch (err) {
      // Out of the index, so that the next run storing this value uploads it again instead of reusing it.
      if (err instanceof BlobDamagedError) void this.#bridge.call("forgetBlob", [sha]).catch(() => undefined);
      throw err;
    }
  }

  #owners(sha: string): string[] {
    try {
      const tasks = this.#bridge.callSync<TaskRecord[]>("blobOwners", [sha, 3]);
      return tasks.flatMap((t) =>
        Object.entries(t.artifacts)
          .filter(([, ref]) => ref.sha === sha)
          .map(([name]) => `artifact '${name}' of ${taskPathspec(t)}`),
      );
    } catch {
      return [];
    }
  }

  blobChildren(sha: string): string[] {
    return childBlobs(this.#stored(sha));
  }

  /** A blob's or a chunk's stored form: from the local cache, else from S3 (then cached). */
  #stored(key: string): Uint8Array {
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const stored = this.#download(key);
    // readStored copies out of it, so the cache (which writes later) may keep this one.
    if (this.#cache.fits(stored.byteLength)) void this.#cache.put(key, stored).catch(() => undefined);
    return stored;
  }

  #download(key: string): Uint8Array {
    return this.#bridge.callSync<Uint8Array>("getBlob", [key], Math.max(BLOB_TIMEOUT_MS, this.#bridge.timeoutMs));
  }

  putBlobs(blobs: Map<string, BlobBytes>): Promise<void> {
    if (blobs.size === 0) return Promise.resolve();
    return this.#bridge.call("putBlobs", [[...blobs]]);
  }

  getLogs(flow: string, runId: string, step: string, taskId: string): TaskLogs | undefined {
    return this.#bridge.callSync("getLogs", [flow, runId, step, taskId]) ?? undefined;
  }

  getCachedTask(flow: string, key: string): CachedTask | undefined {
    return this.#bridge.callSync("getCachedTask", [flow, key]) ?? undefined;
  }

  putCachedTask(flow: string, key: string, task: CachedTask): Promise<void> {
    return this.#bridge.call("putCachedTask", [flow, key, { runId: task.runId, step: task.step, taskId: task.taskId }]);
  }

  addHistory(entry: HistoryEntry): Promise<void> {
    return this.#bridge.call("addHistory", [entry]);
  }

  listHistory(limit?: number): HistoryEntry[] {
    return this.#bridge.callSync("listHistory", [limit]);
  }

  collector(): StoreCollector {
    return new RemoteCollector(this.#bridge);
  }

  async close(): Promise<void> {
    await Promise.all([this.#bridge.close(), this.#cache.close()]);
  }
}
