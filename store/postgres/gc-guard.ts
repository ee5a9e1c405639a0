/**
 * The commit side of the gc protocol (store/collector.ts) in PostgreSQL. Each commit that writes
 * or refers to blobs takes a *shared* advisory lock in its transaction; a gc takes it *exclusive*
 * to take its lease and for its whole sweep (index rows marked, S3 objects deleted, rows removed).
 * So a commit is wholly before or after each of those, and checks under the lock that what it
 * refers to still exists.
 *
 * Blobs uploaded before the transaction (the ordinary path: S3 first, index row with the record)
 * are trusted only if no sweep began or ended in between — the epoch, bumped by both, says so;
 * a sweep might otherwise have deleted the object that the upload had just written.
 */
import type pg from "pg";
import { MissingBlobError } from "../collector-errors.js";
import type { BlobRow } from "./metadata.js";

/** pg_advisory lock classes (the second key is the datastore's hash). */
export const SWEEP_LOCK = 7352062;
export const LEASE_LOCK = 7352063;

export interface UploadedBlobs {
  rows: BlobRow[];
  /** The gc epoch read before the uploads began. */
  epoch: number;
}

/** Uploads blobs now (under the lock) and returns their index rows; those it has no bytes for are left out. */
export type Resupply = (shas: string[]) => Promise<BlobRow[]>;

export interface KnownBlobs {
  /** Indexed and not being deleted. */
  known: Set<string>;
  /**
   * Being deleted by a sweep (or left so by one that died). Not to be uploaded before the
   * commit's lock: the sweep may still delete that very object. The commit uploads them under it.
   */
  doomed: Set<string>;
  epoch: number;
}

/** Which of these blobs are indexed, which are being deleted, and the epoch, read in one statement. */
export async function knownBlobsAt(pool: pg.Pool, ds: string, shas: string[]): Promise<KnownBlobs> {
  const { rows } = await pool.query<{ epoch: string | null; known: string[]; doomed: string[] }>(
    `SELECT (SELECT epoch FROM steplab_gc WHERE ds = $1) AS epoch,
            ARRAY(SELECT sha FROM steplab_blobs WHERE ds = $1 AND sha = ANY($2::text[]) AND NOT doomed) AS known,
            ARRAY(SELECT sha FROM steplab_blobs WHERE ds = $1 AND sha = ANY($2::text[]) AND doomed) AS doomed`,
    [ds, shas],
  );
  const row = rows[0];
  return { known: new Set(row?.known ?? []), doomed: new Set(row?.doomed ?? []), epoch: Number(row?.epoch ?? 0) };
}

export async function indexBlobRows(client: pg.Pool | pg.PoolClient, ds: string, rows: BlobRow[]): Promise<void> {
  // One row per sha: an upload and a later upload again (resupply) may both carry a chunk two blobs share.
  const blobs = [...new Map(rows.map((r) => [r.sha, r])).values()];
  if (blobs.length === 0) return;
  // A row left `doomed` by a sweep that died is brought back by a fresh upload.
  // children: one array per row, passed as JSON (unnest would flatten a text[][]).
  await client.query(
    `INSERT INTO steplab_blobs (ds, sha, key, size, stored_size, children)
     SELECT $1, r.sha, r.key, r.size, r.stored_size, ARRAY(SELECT jsonb_array_elements_text(r.children))
     FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::jsonb[]) AS r(sha, key, size, stored_size, children)
     ON CONFLICT (ds, sha) DO UPDATE SET key = EXCLUDED.key, size = EXCLUDED.size, stored_size = EXCLUDED.stored_size,
       children = EXCLUDED.children, doomed = false
     WHERE steplab_blobs.doomed`,
    [
      ds,
      blobs.map((b) => b.sha),
      blobs.map((b) => b.key),
      blobs.map((b) => b.size),
      blobs.map((b) => b.storedSize),
      blobs.map((b) => JSON.stringify(b.children)),
    ],
  );
}

/**
 * Inside the commit's transaction: takes the shared lock, checks that every referenced blob is
 * indexed (or was uploaded for this commit, and no sweep ended since), uploads again what is
 * missing and can be, indexes the new rows, and pins everything while a gc holds the lease.
 * Throws MissingBlobError (the transaction rolls back) for a blob that is gone for good.
 */
export async function guardBlobs(
  client: pg.PoolClient,
  ds: string,
  what: string,
  refs: [string, string][],
  uploaded: UploadedBlobs,
  resupply: Resupply,
): Promise<void> {
  await client.query("SELECT pg_advisory_xact_lock_shared($1, hashtext($2))", [SWEEP_LOCK, ds]);
  const state = await client.query<{ epoch: string; leased: boolean }>(
    "SELECT epoch, lease IS NOT NULL AS leased FROM steplab_gc WHERE ds = $1",
    [ds],
  );
  const epoch = Number(state.rows[0]?.epoch ?? 0);
  const trusted = epoch === uploaded.epoch ? uploaded.rows : [];
  const shas = [...new Set(refs.map(([, sha]) => sha))];
  const present = new Set(trusted.map((r) => r.sha));
  if (shas.length > 0) {
    const { rows } = await client.query<{ sha: string }>(
      "SELECT sha FROM steplab_blobs WHERE ds = $1 AND sha = ANY($2::text[]) AND NOT doomed",
      [ds, shas],
    );
    for (const r of rows) present.add(r.sha);
  }
  const absent = shas.filter((sha) => !present.has(sha));
  const again = absent.length > 0 ? await resupply(absent) : [];
  for (const r of again) present.add(r.sha);
  const missing = Object.fromEntries(refs.filter(([, sha]) => !present.has(sha)));
  if (Object.keys(missing).length > 0) throw MissingBlobError.of(what, missing);
  await indexBlobRows(client, ds, [...trusted, ...again]);
  if (state.rows[0]?.leased) await pin(client, ds, shas);
}

export async function pin(client: pg.Pool | pg.PoolClient, ds: string, shas: string[]): Promise<void> {
  if (shas.length === 0) return;
  await client.query("INSERT INTO steplab_gc_pins (ds, sha) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING", [ds, shas]);
}

/** Pins blobs a record refers to (a run's parameters), under the shared lock, while a gc holds the lease. */
export async function pinIfLeased(client: pg.PoolClient, ds: string, shas: string[]): Promise<void> {
  await client.query("SELECT pg_advisory_xact_lock_shared($1, hashtext($2))", [SWEEP_LOCK, ds]);
  const { rows } = await client.query("SELECT 1 FROM steplab_gc WHERE ds = $1 AND lease IS NOT NULL", [ds]);
  if (rows.length > 0) await pin(client, ds, shas);
}

/** Blobs put outside a task commit, pending until a record refers to them (store/gc/mark.ts). */
export async function notePending(client: pg.PoolClient, ds: string, shas: string[], owner: { pid: number; host: string }): Promise<void> {
  if (shas.length === 0) return;
  await client.query(
    `INSERT INTO steplab_pending (ds, sha, at, pid, host) SELECT $1, unnest($2::text[]), $3, $4, $5
     ON CONFLICT (ds, sha) DO UPDATE SET at = EXCLUDED.at, pid = EXCLUDED.pid, host = EXCLUDED.host`,
    [ds, shas, Date.now(), owner.pid, owner.host],
  );
}
