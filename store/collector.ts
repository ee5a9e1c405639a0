/**
 * What `steplab gc` needs from a datastore, beside the ordinary Store reads. Both stores (LMDB, and
 * S3 + PostgreSQL) implement it; the algorithm that uses it (store/gc/) is shared.
 *
 * The protocol that keeps concurrent runs safe (why each method exists):
 * - A **lease**: while gc holds it, every task commit and every putBlobs/putRun also *pins* the
 *   blobs it references, in the same transaction as its record. The mark phase starts after the
 *   lease is taken, so a reference is either visible to the mark or pinned.
 * - The **sweep** deletes, in one step that no commit can interleave with, the blobs that are
 *   neither marked nor pinned.
 * - After a sweep, a commit checks, in its own transaction, that every blob it references exists;
 *   one that it has the bytes of is written again, one it has not fails the commit loudly
 *   (MissingBlobError) instead of leaving a task that points at nothing. So dedup's "the store
 *   already has it" cannot race with deletion.
 * - Blobs put outside a task (parameters, IncludeFile: putBlobs) are referenced by a record that
 *   is written a little later; they are *pending* until then, and gc spares them while the
 *   process that put them is alive (from another machine, which gc cannot see: for a day).
 */
/** The blobs one task references (its own artifacts and those it carries over). */
export interface TaskReferences {
  flow: string;
  runId: string;
  shas: string[];
}

/** A blob put outside a task commit, with who put it and when. */
export interface PendingBlob {
  sha: string;
  at: number;
  pid: number;
  /** The machine it was put from (remote stores only; an LMDB store is one machine's). */
  host?: string;
}

/** Who holds the gc lease. */
export interface GcOwner {
  pid: number;
  host: string;
  at: number;
}

export interface SweepResult {
  /** Blobs deleted. */
  blobs: number;
  /** Their stored bytes (compressed, as they sat on disk or in S3). */
  bytes: number;
  /** Candidates a commit pinned during the lease: kept. */
  pinned: number;
  /** Stored bytes of each blob deleted. */
  sizes: Map<string, number>;
}

export interface RunKey {
  flow: string;
  runId: string;
}

export interface StoreCollector {
  readonly kind: "lmdb" | "remote";
  /** Every task's references, in one pass over the store. */
  taskReferences(): TaskReferences[];
  /** Every blob the store holds. */
  blobShas(): string[];
  /** Stored bytes of these blobs (compressed form); blobs the store does not have are left out. */
  storedSizes(shas: Iterable<string>): Map<string, number>;
  /** Blobs put outside a task commit, by putBlobs. */
  pendingBlobs(): PendingBlob[];
  /**
   * The blobs a blob names, which live as long as it does: a chunked value's manifest names its
   * chunks (branch `dataplane`). Must be cheap for a blob that names none: the mark calls it for
   * every live blob. This is the only place gc learns about chunking.
   */
  childBlobs(sha: string): string[];

  /** Takes the lease (see above). Throws GcBusyError while another live gc holds it. */
  acquireLease(owner: GcOwner): Promise<void>;
  releaseLease(): Promise<void>;
  /** Deletes these runs with their tasks and logs; returns how many tasks went. */
  deleteRuns(runs: RunKey[]): Promise<number>;
  /**
   * Deletes `candidates` in one step no commit interleaves with, except the blobs pinned during the
   * lease and what `protect(pinned)` adds (their child blobs); forgets the pending entries `forget`.
   */
  sweep(candidates: string[], forget: string[], protect: (pinned: Set<string>) => Set<string>): Promise<SweepResult>;
  /**
   * Rewrites the datastore's file without its free pages, so the disk space returns (LMDB
   * otherwise keeps freed pages for reuse). LMDB only; closes the store.
   */
  compact?(): Promise<CompactResult>;
}

export interface CompactResult {
  /** Bytes of the datastore file before and after. */
  before: number;
  after: number;
}
