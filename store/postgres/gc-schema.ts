/**
 * The tables of the gc protocol (store/collector.ts) in PostgreSQL: the lease and the epoch (one
 * row per datastore), the blobs pinned while a gc holds the lease, the blobs put outside a task
 * commit (pending), and a `doomed` mark on blobs a sweep is deleting, so a crash between the S3
 * delete and the index delete leaves rows that every commit treats as missing.
 */
import type pg from "pg";

/**
 * The schema version that brought these: 2 the `doomed` mark, 3 the `children` of a blob (the
 * chunks a manifest names; NULL on rows written before, which gc reads from S3 once: see
 * store/remote/bridge-children.ts).
 */
export const GC_SCHEMA_VERSION = 3;

export const GC_DDL = `
CREATE TABLE IF NOT EXISTS steplab_gc (
  ds text PRIMARY KEY, epoch bigint NOT NULL DEFAULT 0, lease jsonb);
CREATE TABLE IF NOT EXISTS steplab_gc_pins (
  ds text NOT NULL, sha text NOT NULL, PRIMARY KEY (ds, sha));
CREATE TABLE IF NOT EXISTS steplab_pending (
  ds text NOT NULL, sha text NOT NULL, at bigint NOT NULL, pid integer NOT NULL, host text NOT NULL,
  PRIMARY KEY (ds, sha));
`;

/** Adds the columns once: ALTER TABLE locks the table, so it runs only on an older schema. */
export async function migrateForGc(client: pg.PoolClient, fromVersion: number): Promise<void> {
  await client.query(GC_DDL);
  if (fromVersion < GC_SCHEMA_VERSION) {
    await client.query(
      `ALTER TABLE steplab_blobs ADD COLUMN IF NOT EXISTS doomed boolean NOT NULL DEFAULT false,
                                 ADD COLUMN IF NOT EXISTS children text[]`,
    );
  }
}
