/**
 * The commit side of the gc protocol in the LMDB store (see types.ts). These run inside the
 * commit's own write transaction; LMDB has one writer at a time, so a gc sweep (also one write
 * transaction) comes wholly before or wholly after each commit.
 */
import type { Database } from "lmdb";
import { packBlobSync } from "../blob-pack.js";
import { MissingBlobError } from "../collector-errors.js";
import { LEASE_KEY, type GcDbs } from "./lmdb-dbs.js";

export interface GuardDbs {
  blobs: Database<Uint8Array, string>;
  gc: GcDbs;
}

/**
 * Checks that every blob `refs` (artifact name -> sha) names exists, writing again those the
 * commit has the bytes of (a sweep may have deleted one after the caller's dedup check), and pins
 * them while a gc holds the lease. Throws MissingBlobError, so the transaction writes nothing,
 * when a blob is gone and the commit cannot supply it.
 */
export function guardReferences(dbs: GuardDbs, what: string, refs: Iterable<[string, string]>, supplied: Map<string, Uint8Array>): void {
  const missing: Record<string, string> = {};
  const shas = new Set<string>();
  for (const [name, sha] of refs) {
    shas.add(sha);
    if (dbs.blobs.doesExist(sha)) continue;
    const bytes = supplied.get(sha);
    if (bytes) dbs.blobs.putSync(sha, packBlobSync(bytes));
    else missing[name] = sha;
  }
  if (Object.keys(missing).length > 0) throw MissingBlobError.of(what, missing);
  pinIfCollecting(dbs.gc, shas);
}

/** While a gc holds the lease, records these blobs as referenced so its sweep keeps them. */
export function pinIfCollecting(gc: GcDbs, shas: Iterable<string>): void {
  if (!gc.state.doesExist(LEASE_KEY)) return;
  for (const sha of shas) gc.pins.putSync(sha, 1);
}

/** Blobs put outside a task commit: pending until a record refers to them (see mark.ts). */
export function notePending(gc: GcDbs, shas: Iterable<string>): void {
  const entry = { at: Date.now(), pid: process.pid };
  for (const sha of shas) gc.pending.putSync(sha, entry);
  pinIfCollecting(gc, shas);
}
