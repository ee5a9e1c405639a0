/**
 * The local read cache under a remote datastore. Blobs are kept as S3 holds them (packed), so a hit
 * costs neither a download nor a recompression. It is bounded: once its blobs pass `maxBytes`, the
 * least recently read go first, down to 90% of the bound. LMDB, so the steplab processes of one
 * machine share it (lmdb-js shares one environment per path within a process, too).
 */
import { mkdirSync } from "node:fs";
import type { Database, RootDatabase } from "lmdb";
import { StoreError } from "../../errors/index.js";
import { lmdb } from "../lmdb-module.js";

export const DEFAULT_CACHE_MAX_MB = 4096;
/** A read refreshes a blob's place in the eviction order at most this often, so most reads write nothing. */
const TOUCH_EVERY_MS = 60_000;
const EVICT_DOWN_TO = 0.9;
const TOTAL_KEY = "totalBytes";

interface Entry {
  size: number;
  readAt: number;
}

/** STEPLAB_CACHE_MAX_MB, else the default; 0 turns the cache off. */
export function cacheMaxBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.STEPLAB_CACHE_MAX_MB;
  const mb = raw === undefined || raw === "" ? DEFAULT_CACHE_MAX_MB : Number(raw);
  if (!Number.isFinite(mb) || mb < 0) {
    throw new StoreError(`STEPLAB_CACHE_MAX_MB must be a number of megabytes (0 turns the blob cache off), not "${raw}"`);
  }
  return Math.floor(mb * 1024 * 1024);
}

export interface BlobCacheOptions {
  maxBytes: number;
  /** How often a read may refresh a blob's place in the eviction order (default one minute). */
  touchEveryMs?: number;
}

export class BlobCache {
  readonly maxBytes: number;
  readonly #touchEveryMs: number;
  readonly #env: RootDatabase;
  readonly #blobs: Database<Uint8Array, string>;
  readonly #entries: Database<Entry, string>;
  readonly #meta: Database<number, string>;

  constructor(
    readonly dir: string,
    options: BlobCacheOptions,
  ) {
    this.maxBytes = options.maxBytes;
    this.#touchEveryMs = options.touchEveryMs ?? TOUCH_EVERY_MS;
    mkdirSync(dir, { recursive: true });
    // A cache may be lost in a crash without harm: no fsync at all.
    this.#env = lmdb.open({ path: dir, maxDbs: 4, noSync: true });
    this.#blobs = this.#env.openDB("blobs", { encoding: "binary" });
    this.#entries = this.#env.openDB("entries", { encoding: "msgpack" });
    this.#meta = this.#env.openDB("meta", { encoding: "msgpack" });
  }

  has(sha: string): boolean {
    return this.#blobs.doesExist(sha);
  }

  /** The blob's stored form (a copy the caller owns), or undefined on a miss. */
  get(sha: string): Uint8Array | undefined {
    const stored = this.#blobs.getBinary(sha);
    if (!stored) return undefined;
    const entry = this.#entries.get(sha);
    const now = Date.now();
    if (entry && now - entry.readAt >= this.#touchEveryMs) {
      void this.#entries.put(sha, { ...entry, readAt: now }).catch(() => undefined);
    }
    return stored;
  }

  /** Whether a blob of this size is kept at all (one that would fill most of the cache is not). */
  fits(size: number): boolean {
    return size <= this.maxBytes * EVICT_DOWN_TO;
  }

  /** Keeps a blob's stored form, evicting the least recently read blobs if the cache is full. */
  async put(sha: string, stored: Uint8Array): Promise<void> {
    const size = stored.byteLength;
    if (!this.fits(size)) return;
    await this.#env.transaction(() => {
      if (this.#blobs.doesExist(sha)) return;
      let held = this.#meta.get(TOTAL_KEY) ?? 0;
      if (held + size > this.maxBytes) held = this.#evictDownTo(this.maxBytes * EVICT_DOWN_TO - size, held);
      void this.#blobs.put(sha, stored);
      void this.#entries.put(sha, { size, readAt: Date.now() });
      void this.#meta.put(TOTAL_KEY, held + size);
    });
  }

  /** Drops a blob (its copy here was found damaged). */
  async remove(sha: string): Promise<void> {
    await this.#env.transaction(() => {
      const entry = this.#entries.get(sha);
      void this.#blobs.remove(sha);
      void this.#entries.remove(sha);
      if (entry) void this.#meta.put(TOTAL_KEY, Math.max(0, (this.#meta.get(TOTAL_KEY) ?? 0) - entry.size));
    });
  }

  /** Removes the least recently read blobs until the rest hold at most `target` bytes; what they hold. */
  #evictDownTo(target: number, held: number): number {
    const oldestFirst = [...this.#entries.getRange({})].sort((a, b) => a.value.readAt - b.value.readAt);
    for (const { key, value } of oldestFirst) {
      if (held <= target) break;
      void this.#blobs.remove(key);
      void this.#entries.remove(key);
      held -= value.size;
    }
    return held;
  }

  async close(): Promise<void> {
    await this.#env.close();
  }
}
