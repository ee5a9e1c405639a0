/**
 * The metadata tables. One database may hold several datastores (`ds` = the canonical
 * `s3://bucket/prefix` root), as one bucket holds several prefixes. Records are JSONB copies of
 * store/types.ts records; the key columns beside them exist for ordering and lookups.
 */
import type pg from "pg";
import { GC_SCHEMA_VERSION, migrateForGc } from "./gc-schema.js";
import { inTransaction } from "./transaction.js";

// Bumped when a table changes shape; stored in steplab_meta under ds ''. Adding a table (as
// steplab_task_cache was) changes no existing one: CREATE TABLE IF NOT EXISTS adds it to old databases.
export const SCHEMA_VERSION = GC_SCHEMA_VERSION;

const DDL = `
CREATE TABLE IF NOT EXISTS steplab_runs (
  ds text NOT NULL, flow text NOT NULL, run_id text NOT NULL, run_num numeric,
  record jsonb NOT NULL,
  PRIMARY KEY (ds, flow, run_id));
CREATE TABLE IF NOT EXISTS steplab_tasks (
  ds text NOT NULL, flow text NOT NULL, run_id text NOT NULL, step text NOT NULL, task_id text NOT NULL,
  task_num numeric, status text NOT NULL, record jsonb NOT NULL,
  PRIMARY KEY (ds, flow, run_id, step, task_id));
CREATE INDEX IF NOT EXISTS steplab_tasks_by_run ON steplab_tasks (ds, flow, run_id, task_num);
CREATE TABLE IF NOT EXISTS steplab_logs (
  ds text NOT NULL, flow text NOT NULL, run_id text NOT NULL, step text NOT NULL, task_id text NOT NULL,
  stdout text NOT NULL, stderr text NOT NULL,
  PRIMARY KEY (ds, flow, run_id, step, task_id));
CREATE TABLE IF NOT EXISTS steplab_blobs (
  ds text NOT NULL, sha text NOT NULL, key text NOT NULL, size bigint NOT NULL, stored_size bigint NOT NULL,
  PRIMARY KEY (ds, sha));
CREATE TABLE IF NOT EXISTS steplab_history (
  seq bigserial PRIMARY KEY, ds text NOT NULL, entry jsonb NOT NULL);
CREATE INDEX IF NOT EXISTS steplab_history_by_ds ON steplab_history (ds, seq);
CREATE TABLE IF NOT EXISTS steplab_task_cache (
  ds text NOT NULL, flow text NOT NULL, key text NOT NULL,
  run_id text NOT NULL, step text NOT NULL, task_id text NOT NULL,
  PRIMARY KEY (ds, flow, key));
CREATE TABLE IF NOT EXISTS steplab_meta (
  ds text NOT NULL, key text NOT NULL, value bigint NOT NULL,
  PRIMARY KEY (ds, key));
`;

/** Creates the tables once; an advisory lock keeps processes starting together from racing on DDL. */
export async function ensureSchema(pool: pg.Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(7352061)");
    const exists = await client.query<{ t: string | null }>("SELECT to_regclass('steplab_meta')::text AS t");
    const current = exists.rows[0]?.t
      ? await client.query<{ value: string }>("SELECT value FROM steplab_meta WHERE ds = '' AND key = 'schemaVersion'")
      : undefined;
    await client.query(DDL);
    await migrateForGc(client, Number(current?.rows[0]?.value ?? 0));
    await client.query(
      `INSERT INTO steplab_meta (ds, key, value) VALUES ('', 'schemaVersion', $1)
       ON CONFLICT (ds, key) DO UPDATE SET value = GREATEST(steplab_meta.value, EXCLUDED.value)`,
      [SCHEMA_VERSION],
    );
  });
}
