/**
 * The collector side of the gc protocol (store/collector.ts) in PostgreSQL. The lease and the sweep
 * run on one connection of their own, which holds session advisory locks across calls: the
 * lease lock for the whole collection (a second gc cannot take it; a gc that dies releases it
 * with its connection), the sweep lock (exclusive, against commits' shared one) from reading the
 * pins to the end of the sweep.
 */
import type pg from "pg";
import type { GcOwner, PendingBlob, RunKey, TaskReferences } from "../collector.js";
import { LEASE_LOCK, SWEEP_LOCK } from "./gc-guard.js";
import { inTransaction } from "./transaction.js";

export interface DoomedBlob {
  sha: string;
  key: string;
  storedSize: number;
}

export class PgCollector {
  #session: pg.PoolClient | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly ds: string,
  ) {}

  /** The blobs each task refers to: its artifacts, its displays and a cell's value (store/gc/task-blobs.ts). */
  async taskReferences(): Promise<TaskReferences[]> {
    const { rows } = await this.pool.query<{
      flow: string;
      run_id: string;
      shas: string[];
      displays: string | null;
      cell_value: string | null;
    }>(
      `SELECT flow, run_id, ARRAY(SELECT a.value->>'sha' FROM jsonb_each(record->'artifacts') a) AS shas,
              record->'displays'->>'sha' AS displays, record->'cellValue'->>'sha' AS cell_value
       FROM steplab_tasks WHERE ds = $1`,
      [this.ds],
    );
    return rows.map((r) => ({
      flow: r.flow,
      runId: r.run_id,
      shas: [...r.shas, ...(r.displays ? [r.displays] : []), ...(r.cell_value ? [r.cell_value] : [])],
    }));
  }

  /**
   * The chunks each manifest names, from the index (never from S3: the mark asks for every live
   * blob); and the blobs indexed before the index kept them (children NULL), with their S3 keys.
   */
  async blobChildren(): Promise<{ children: [string, string[]][]; unknown: [string, string][] }> {
    const { rows } = await this.pool.query<{ sha: string; key: string; children: string[] | null }>(
      "SELECT sha, key, children FROM steplab_blobs WHERE ds = $1 AND (children IS NULL OR cardinality(children) > 0)",
      [this.ds],
    );
    return {
      children: rows.filter((r) => r.children !== null).map((r) => [r.sha, r.children!]),
      unknown: rows.filter((r) => r.children === null).map((r) => [r.sha, r.key]),
    };
  }

  /** Records what blobs indexed before the index kept children name (read from their S3 objects once). */
  async setBlobChildren(found: [string, string[]][]): Promise<void> {
    if (found.length === 0) return;
    await this.pool.query(
      `UPDATE steplab_blobs b SET children = ARRAY(SELECT jsonb_array_elements_text(f.children))
       FROM unnest($2::text[], $3::jsonb[]) AS f(sha, children) WHERE b.ds = $1 AND b.sha = f.sha`,
      [this.ds, found.map(([sha]) => sha), found.map(([, children]) => JSON.stringify(children))],
    );
  }

  async blobShas(): Promise<string[]> {
    const { rows } = await this.pool.query<{ sha: string }>("SELECT sha FROM steplab_blobs WHERE ds = $1", [this.ds]);
    return rows.map((r) => r.sha);
  }

  async storedSizes(shas: string[]): Promise<[string, number][]> {
    const { rows } = await this.pool.query<{ sha: string; stored_size: string }>(
      "SELECT sha, stored_size FROM steplab_blobs WHERE ds = $1 AND sha = ANY($2::text[])",
      [this.ds, shas],
    );
    return rows.map((r) => [r.sha, Number(r.stored_size)]);
  }

  async pendingBlobs(): Promise<PendingBlob[]> {
    const { rows } = await this.pool.query<{ sha: string; at: string; pid: number; host: string }>(
      "SELECT sha, at, pid, host FROM steplab_pending WHERE ds = $1",
      [this.ds],
    );
    return rows.map((r) => ({ sha: r.sha, at: Number(r.at), pid: r.pid, host: r.host }));
  }

  /** Takes the lease; returns the holder's description instead when another gc has it. */
  async acquireLease(owner: GcOwner): Promise<string | undefined> {
    const session = await this.pool.connect();
    try {
      const { rows } = await session.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok", [LEASE_LOCK, this.ds]);
      if (!rows[0]?.ok) {
        const held = await session.query<{ lease: GcOwner | null }>("SELECT lease FROM steplab_gc WHERE ds = $1", [this.ds]);
        const h = held.rows[0]?.lease;
        session.release();
        return h ? `pid ${h.pid} on ${h.host}, since ${new Date(h.at).toISOString()}` : "another process";
      }
      this.#session = session;
      // Exclusive: waits for commits in flight, so every later commit sees the lease and pins.
      await inTransaction(this.pool, async (client) => {
        await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [SWEEP_LOCK, this.ds]);
        await client.query(`INSERT INTO steplab_gc (ds, lease) VALUES ($1, $2) ON CONFLICT (ds) DO UPDATE SET lease = EXCLUDED.lease`, [
          this.ds,
          JSON.stringify(owner),
        ]);
        await client.query("DELETE FROM steplab_gc_pins WHERE ds = $1", [this.ds]);
      });
      return undefined;
    } catch (err) {
      if (this.#session !== session) session.release();
      throw err;
    }
  }

  async releaseLease(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    this.#session = undefined;
    try {
      await inTransaction(this.pool, async (client) => {
        await client.query("UPDATE steplab_gc SET lease = NULL WHERE ds = $1", [this.ds]);
        await client.query("DELETE FROM steplab_gc_pins WHERE ds = $1", [this.ds]);
      });
      await session.query("SELECT pg_advisory_unlock_all()");
    } finally {
      session.release();
    }
  }

  async deleteRuns(runs: RunKey[]): Promise<number> {
    if (runs.length === 0) return 0;
    const flows = runs.map((r) => r.flow);
    const ids = runs.map((r) => r.runId);
    return inTransaction(this.pool, async (client) => {
      const match = "ds = $1 AND (flow, run_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))";
      const tasks = await client.query(`DELETE FROM steplab_tasks WHERE ${match}`, [this.ds, flows, ids]);
      await client.query(`DELETE FROM steplab_logs WHERE ${match}`, [this.ds, flows, ids]);
      // Task cache entries (run --cache) that point into these runs: nothing to reuse there any more.
      await client.query(`DELETE FROM steplab_task_cache WHERE ${match}`, [this.ds, flows, ids]);
      await client.query(`DELETE FROM steplab_runs WHERE ${match}`, [this.ds, flows, ids]);
      return tasks.rowCount ?? 0;
    });
  }

  #held(): pg.PoolClient {
    if (!this.#session) throw new Error("the gc lease is not held");
    return this.#session;
  }

  /**
   * Stops commits (exclusive sweep lock, until finishSweep) and returns what they pinned, with the
   * chunks pinned manifests name (a manifest committed after the mark read the index).
   */
  async lockForSweep(): Promise<string[]> {
    const session = this.#held();
    await session.query("SELECT pg_advisory_lock($1, hashtext($2))", [SWEEP_LOCK, this.ds]);
    const { rows } = await session.query<{ sha: string }>(
      `SELECT sha FROM steplab_gc_pins WHERE ds = $1
       UNION SELECT unnest(b.children) FROM steplab_gc_pins p JOIN steplab_blobs b ON b.ds = p.ds AND b.sha = p.sha WHERE p.ds = $1`,
      [this.ds],
    );
    return rows.map((r) => r.sha);
  }

  /** Marks the blobs doomed: from now on every commit treats them as missing. */
  async doom(shas: string[]): Promise<DoomedBlob[]> {
    if (shas.length === 0) return [];
    const session = this.#held();
    try {
      await session.query("BEGIN");
      const { rows } = await session.query<{ sha: string; key: string; stored_size: string }>(
        "UPDATE steplab_blobs SET doomed = true WHERE ds = $1 AND sha = ANY($2::text[]) RETURNING sha, key, stored_size",
        [this.ds, shas],
      );
      // Uploads that began before this are no longer trusted (gc-guard.ts).
      await session.query("UPDATE steplab_gc SET epoch = epoch + 1 WHERE ds = $1", [this.ds]);
      await session.query("COMMIT");
      return rows.map((r) => ({ sha: r.sha, key: r.key, storedSize: Number(r.stored_size) }));
    } catch (err) {
      await session.query("ROLLBACK").catch(() => undefined);
      throw err;
    }
  }

  /** A sweep that failed half way: its doomed rows stay doomed (a later gc finishes them); commits go on. */
  async abortSweep(): Promise<void> {
    await this.#held().query("SELECT pg_advisory_unlock($1, hashtext($2))", [SWEEP_LOCK, this.ds]);
  }

  /** Once their S3 objects are gone: removes the doomed rows and the forgotten pending entries, bumps the epoch, lets commits go on. */
  async finishSweep(shas: string[], forget: string[]): Promise<void> {
    const session = this.#held();
    try {
      await session.query("BEGIN");
      await session.query("DELETE FROM steplab_blobs WHERE ds = $1 AND sha = ANY($2::text[]) AND doomed", [this.ds, shas]);
      await session.query(
        "DELETE FROM steplab_pending WHERE ds = $1 AND sha = ANY($2::text[]) AND sha NOT IN (SELECT sha FROM steplab_gc_pins WHERE ds = $1)",
        [this.ds, forget],
      );
      await session.query("UPDATE steplab_gc SET epoch = epoch + 1 WHERE ds = $1", [this.ds]);
      await session.query("COMMIT");
    } catch (err) {
      await session.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      await session.query("SELECT pg_advisory_unlock($1, hashtext($2))", [SWEEP_LOCK, this.ds]);
    }
  }
}
