/**
 * The I/O thread's side of a remote datastore's StoreCollector (store/gc): PostgreSQL through
 * PgCollector, S3 deletes through S3Blobs. The sweep's order is what makes it safe to crash
 * half way: rows marked doomed first (commits treat them as missing), then the S3 objects,
 * then the rows.
 */
import { childBlobs, isManifest } from "../chunks.js";
import type { GcOwner, RunKey, SweepResult } from "../collector.js";
import type { PgCollector } from "../postgres/index.js";
import type { S3Blobs } from "../s3/index.js";

export interface GcOpsDeps {
  withCollector<T>(body: (gc: PgCollector) => Promise<T>): Promise<T>;
  withS3<T>(body: (s3: S3Blobs) => Promise<T>): Promise<T>;
}

type Op = (...args: never[]) => Promise<unknown>;

export function gcOps({ withCollector, withS3 }: GcOpsDeps): Record<string, Op> {
  return {
    gcTaskReferences: () => withCollector((gc) => gc.taskReferences()),
    gcBlobShas: () => withCollector((gc) => gc.blobShas()),
    gcStoredSizes: (shas: string[]) => withCollector((gc) => gc.storedSizes(shas)),
    gcPendingBlobs: () => withCollector((gc) => gc.pendingBlobs()),
    gcBlobChildren: () =>
      withCollector(async (gc) => {
        const { children, unknown } = await gc.blobChildren();
        if (unknown.length === 0) return children;
        const found = await withS3((s3) => childrenFromS3(s3, unknown));
        await gc.setBlobChildren(found);
        return [...children, ...found.filter(([, names]) => names.length > 0)];
      }),
    gcAcquireLease: (owner: GcOwner) => withCollector((gc) => gc.acquireLease(owner)),
    gcReleaseLease: () => withCollector((gc) => gc.releaseLease()),
    gcDeleteRuns: (runs: RunKey[]) => withCollector((gc) => gc.deleteRuns(runs)),
    gcLockForSweep: () => withCollector((gc) => gc.lockForSweep()),
    gcSweep: (shas: string[], forget: string[]): Promise<Omit<SweepResult, "sizes"> & { sizes: [string, number][] }> =>
      withCollector(async (gc) => {
        try {
          const doomed = await gc.doom(shas);
          await withS3((s3) => s3.deleteMany(doomed.map((d) => d.key)));
          await gc.finishSweep(shas, forget);
          const sizes = doomed.map((d): [string, number] => [d.sha, d.storedSize]);
          return { blobs: doomed.length, bytes: doomed.reduce((n, d) => n + d.storedSize, 0), pinned: 0, sizes };
        } catch (err) {
          await gc.abortSweep().catch(() => undefined);
          throw err;
        }
      }),
  };
}

/** Blobs read from S3 at a time, when the index does not say what they name. */
const READ_CONCURRENCY = 8;

/**
 * What blobs indexed before the index kept their children name (once per blob: the answer is
 * written back). The first byte tells a manifest (store/chunks.ts), so a whole blob costs a
 * one-byte read; a manifest is a few hundred bytes.
 */
async function childrenFromS3(s3: S3Blobs, blobs: [sha: string, key: string][]): Promise<[string, string[]][]> {
  const found: [string, string[]][] = [];
  for (let i = 0; i < blobs.length; i += READ_CONCURRENCY) {
    const batch = blobs.slice(i, i + READ_CONCURRENCY);
    found.push(...(await Promise.all(batch.map(async ([sha, key]): Promise<[string, string[]]> => [sha, await childrenOf(s3, key)]))));
  }
  return found;
}

async function childrenOf(s3: S3Blobs, key: string): Promise<string[]> {
  try {
    const first = await s3.getRange(key, 0, 0);
    if (!isManifest(first)) return [];
    return childBlobs(await s3.get(key));
  } catch (err) {
    // An object already gone names nothing; a chunk whose raw bytes start like a manifest is no JSON.
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || status === 416 || err instanceof SyntaxError) return [];
    throw err;
  }
}
