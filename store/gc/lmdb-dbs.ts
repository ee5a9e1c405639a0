/**
 * The LMDB databases of the gc protocol (see types.ts), beside the store's own: the lease, the
 * blobs pinned while a gc holds it, and the blobs put outside a task commit (pending).
 */
import type { Database, RootDatabase } from "lmdb";
import type { GcOwner } from "../collector.js";

export interface PendingEntry {
  at: number;
  pid: number;
}

export interface GcDbs {
  /** "lease" -> the gc holding it. */
  state: Database<GcOwner, string>;
  /** sha -> 1: blobs a commit referenced while a gc held the lease. */
  pins: Database<number, string>;
  /** sha -> who put it and when (putBlobs). */
  pending: Database<PendingEntry, string>;
}

export const LEASE_KEY = "lease";

/** Opens them with the store's record options (see lmdb-store.ts). */
export function openGcDbs(env: RootDatabase, recordOptions: object): GcDbs {
  return {
    state: env.openDB("gcState", recordOptions),
    pins: env.openDB("gcPins", recordOptions),
    pending: env.openDB("gcPending", recordOptions),
  };
}
