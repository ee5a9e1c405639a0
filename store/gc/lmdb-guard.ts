/**
 * The commit side of the gc protocol in the LMDB store (see store/collector.ts). These run inside
 * the commit's own write transaction; LMDB has one writer at a time, so a gc sweep (also one write
 * transaction) comes wholly before or wholly after each commit.
 */
import type { Database } from "lmdb";
import { packBlobSync } from "../blob-pack.js";
import { childBlobs, planBlob } from "../chunks.js";
import { blobViews } from "../lmdb-reads.js";
import { MissingBlobError } from "../collector-errors.js";
import type { BlobBytes } from "../types.js";
import { LEASE_KEY, type GcDbs } from "./lmdb-dbs.js";

export interface GuardDbs {
  blobs: Database<Uint8Array, string>;
  gc: GcDbs;
}

/**
 * Checks that every blob `refs` (name -> sha) names exists, with every chunk it names, writing
 * again what the commit has the bytes of (a sweep may have deleted a blob, or a chunk the commit
 * found already stored or wrote in an earlier transaction, since), and pins them while a gc holds
 * the lease. Throws MissingBlobError, so the transaction writes nothing, when a blob is gone and
 * the commit cannot supply it.
 */
export function guardReferences(
  dbs: GuardDbs,
  what: string,
  refs: Iterable<[string, string]>,
  supplied: Map<string, BlobBytes>,
  chunkBytes: number,
): void {
  const missing: Record<string, string> = {};
  const shas = new Set<string>();
  for (const [name, sha] of refs) {
    shas.add(sha);
    const bytes = supplied.get(sha);
    if (bytes) restoreBlob(dbs.blobs, sha, bytes, chunkBytes);
    else if (!dbs.blobs.doesExist(sha)) missing[name] = sha;
  }
  if (Object.keys(missing).length > 0) throw MissingBlobError.of(what, missing);
  pinIfCollecting(dbs.gc, shas);
}

/**
 * Makes the blob whole in the store: nothing to do when it and the chunks its manifest names are
 * there (the common case: one read of the head, a lookup per chunk); otherwise writes the chunks
 * that are missing and the head, laid out as this store lays out new blobs.
 */
function restoreBlob(blobs: Database<Uint8Array, string>, sha: string, bytes: BlobBytes, chunkBytes: number): void {
  const head = blobViews(blobs)(sha);
  if (head && childBlobs(head).every((key) => blobs.doesExist(key))) return;
  const plan = planBlob(sha, bytes, chunkBytes, (key) => blobs.doesExist(key));
  for (const [key, data] of plan.chunks) blobs.putSync(key, data);
  blobs.putSync(sha, plan.manifest ?? packBlobSync(plan.whole!));
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
