/**
 * The remote datastore's local blob cache (store/remote/blob-cache.ts): a real LMDB in a temp dir.
 * What a user relies on: a hit returns the bytes S3 gave, the cache never grows past its bound, and
 * what goes first is what was read longest ago.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BlobCache, cacheMaxBytes, DEFAULT_CACHE_MAX_MB } from "../store/remote/index.js";

const dirs: string[] = [];
const caches: BlobCache[] = [];

function openCache(maxBytes: number, touchEveryMs?: number, dir = mkdtempSync(path.join(tmpdir(), "steplab-blob-cache-"))): BlobCache {
  dirs.push(dir);
  const cache = new BlobCache(dir, { maxBytes, touchEveryMs });
  caches.push(cache);
  return cache;
}

const blob = (fill: number, size = 400): Uint8Array => new Uint8Array(size).fill(fill);

afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("BlobCache", () => {
  it("returns what was put, as a copy, and undefined on a miss", async () => {
    const cache = openCache(10_000);
    await cache.put("a", blob(1));
    const got = cache.get("a")!;
    expect(Buffer.from(got).equals(Buffer.from(blob(1)))).toBe(true);
    got.fill(9);
    expect(cache.get("a")![0]).toBe(1);
    expect(cache.get("missing")).toBeUndefined();
    expect(cache.has("a")).toBe(true);
    expect(cache.has("missing")).toBe(false);
  });

  it("stays within its bound, dropping the blobs put first when none was read since", async () => {
    const cache = openCache(1000);
    await cache.put("a", blob(1));
    await cache.put("b", blob(2));
    await cache.put("c", blob(3));
    expect([cache.has("a"), cache.has("b"), cache.has("c")]).toEqual([false, true, true]);
  });

  it("keeps the blob read most recently", async () => {
    const cache = openCache(1000, 0);
    await cache.put("a", blob(1));
    await new Promise((r) => setTimeout(r, 5));
    await cache.put("b", blob(2));
    await new Promise((r) => setTimeout(r, 5));
    expect(cache.get("a")).toBeDefined(); // a is now the most recently read
    await cache.put("c", blob(3));
    expect([cache.has("a"), cache.has("b"), cache.has("c")]).toEqual([true, false, true]);
  });

  it("does not keep a blob that would fill most of it, nor anything when the bound is 0", async () => {
    const small = openCache(1000);
    await small.put("big", blob(1, 950));
    expect(small.has("big")).toBe(false);
    const off = openCache(0);
    await off.put("a", blob(1, 10));
    expect(off.has("a")).toBe(false);
  });

  it("is still there after reopening, with its size remembered", async () => {
    const first = openCache(1000);
    await first.put("a", blob(1));
    await first.put("b", blob(2));
    await first.close();
    caches.splice(caches.indexOf(first), 1);
    const again = openCache(1000, undefined, first.dir);
    expect(again.has("a") && again.has("b")).toBe(true);
    await again.put("c", blob(3));
    expect([again.has("a"), again.has("b"), again.has("c")]).toEqual([false, true, true]);
  });
});

describe("STEPLAB_CACHE_MAX_MB", () => {
  it("sets the bound in megabytes, defaults, and explains a bad value", () => {
    expect(cacheMaxBytes({ STEPLAB_CACHE_MAX_MB: "2" })).toBe(2 * 1024 * 1024);
    expect(cacheMaxBytes({})).toBe(DEFAULT_CACHE_MAX_MB * 1024 * 1024);
    expect(() => cacheMaxBytes({ STEPLAB_CACHE_MAX_MB: "lots" })).toThrow(/STEPLAB_CACHE_MAX_MB must be a number of megabytes/);
  });
});
