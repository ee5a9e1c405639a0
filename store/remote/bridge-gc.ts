/**
 * The I/O thread's side of a remote datastore's StoreCollector (store/gc): PostgreSQL through
 * PgCollector, S3 deletes through S3Blobs. The sweep's order is what makes it safe to crash
 * half way: rows marked doomed first (commits treat them as missing), then the S3 objects,
 * then the rows.
 */
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
