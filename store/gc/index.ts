/** store/gc: `steplab gc` — which runs go, which blobs stay live, and the protocol that keeps concurrent runs safe. */
export { collectGarbage, runSizes, runInProgress, type CollectOptions, type CollectReport, type CollectedRun } from "./collect.js";
export { selectRuns, KEEP_TAG, type RetentionRule, type RunSelection, type SparedRun } from "./policy.js";
export { MissingBlobError, GcBusyError, CompactBusyError } from "../collector-errors.js";
export { ownerAlive } from "./owner.js";
export { PENDING_GRACE_OTHER_HOST_MS, pendingProtected } from "./mark.js";
export type { StoreCollector, CompactResult, SweepResult, TaskReferences, PendingBlob, GcOwner, RunKey } from "../collector.js";
// For the LMDB store (store/lmdb-store.ts): its side of the protocol.
export { LmdbCollector } from "./lmdb-collector.js";
export { openGcDbs, type GcDbs } from "./lmdb-dbs.js";
export { guardReferences, notePending, pinIfCollecting } from "./lmdb-guard.js";
export { taskBlobs, DISPLAYS_NAME } from "./task-blobs.js";
