/**
 * Run, task, log, blob-index and history records in PostgreSQL for one datastore. Every method is
 * one statement or one transaction, so a task's record, logs and blob index rows appear together.
 */
import type pg from "pg";
import { taskBlobs } from "../gc/task-blobs.js";
import { taskPathspec } from "../pathspec.js";
import type { CachedTask, HistoryEntry, RunRecord, TaskLogs, TaskRecord } from "../types.js";
import { guardBlobs, knownBlobsAt, type KnownBlobs, notePending, pinIfLeased, type Resupply, type UploadedBlobs } from "./gc-guard.js";
import { inTransaction } from "./transaction.js";

/** A blob already uploaded to S3, to be indexed with the task that first wrote it. */
export interface BlobRow {
  sha: string;
  key: string;
  size: number;
  storedSize: number;
  /** The chunks a manifest names (store/chunks), none for a blob stored whole or a chunk: gc's mark reads them here. */
  children: string[];
}

/** Numeric ids sort as numbers; anything else sorts after them, as text. */
function idNum(id: string): string | null {
  return /^\d{1,30}$/.test(id) ? id : null;
}

export class PgMetadata {
  constructor(
    private readonly pool: pg.Pool,
    /** The canonical datastore root this instance reads and writes. */
    private readonly ds: string,
  ) {}

  async newRunId(): Promise<string> {
    const nowMicros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    const { rows } = await this.pool.query<{ value: string }>(
      `INSERT INTO steplab_meta (ds, key, value) VALUES ($1, 'lastRunId', $2)
       ON CONFLICT (ds, key) DO UPDATE SET value = GREATEST(steplab_meta.value + 1, EXCLUDED.value)
       RETURNING value`,
      [this.ds, nowMicros],
    );
    return String(rows[0]!.value);
  }

  async putRun(run: RunRecord): Promise<void> {
    const upsert = (client: pg.Pool | pg.PoolClient) =>
      client.query(
        `INSERT INTO steplab_runs (ds, flow, run_id, run_num, record) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (ds, flow, run_id) DO UPDATE SET record = EXCLUDED.record`,
        [this.ds, run.flow, run.runId, idNum(run.runId), JSON.stringify(run)],
      );
    const parameters = Object.values(run.parameters).map((p) => p.sha);
    if (parameters.length === 0) {
      await upsert(this.pool);
      return;
    }
    // Its parameters are pinned while a gc holds the lease (store/postgres/gc-guard.ts).
    await inTransaction(this.pool, async (client) => {
      await upsert(client);
      await pinIfLeased(client, this.ds, parameters);
    });
  }

  async getRun(flow: string, runId: string): Promise<RunRecord | undefined> {
    const { rows } = await this.pool.query<{ record: RunRecord }>(
      "SELECT record FROM steplab_runs WHERE ds = $1 AND flow = $2 AND run_id = $3",
      [this.ds, flow, runId],
    );
    return rows[0]?.record;
  }

  async listRuns(flow: string): Promise<RunRecord[]> {
    const { rows } = await this.pool.query<{ record: RunRecord }>(
      `SELECT record FROM steplab_runs WHERE ds = $1 AND flow = $2
       ORDER BY run_num DESC NULLS LAST, run_id DESC`,
      [this.ds, flow],
    );
    return rows.map((r) => r.record);
  }

  async listFlows(): Promise<string[]> {
    const { rows } = await this.pool.query<{ flow: string }>("SELECT DISTINCT flow FROM steplab_runs WHERE ds = $1 ORDER BY flow", [
      this.ds,
    ]);
    return rows.map((r) => r.flow);
  }

  /** Which of these blobs the datastore already has (indexed, so uploaded), and the gc epoch (see gc-guard.ts). */
  async knownBlobs(shas: string[]): Promise<KnownBlobs> {
    return knownBlobsAt(this.pool, this.ds, shas);
  }

  async blobKey(sha: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ key: string }>("SELECT key FROM steplab_blobs WHERE ds = $1 AND sha = $2", [this.ds, sha]);
    return rows[0]?.key;
  }

  /** Drops a blob from the index (its S3 copy was found damaged): the next write of its value uploads it again. */
  async forgetBlob(sha: string): Promise<void> {
    await this.pool.query("DELETE FROM steplab_blobs WHERE ds = $1 AND sha = $2", [this.ds, sha]);
  }

  /** Tasks with an artifact stored as this blob (to name them when it is found damaged). */
  async blobOwners(sha: string, limit: number): Promise<TaskRecord[]> {
    const { rows } = await this.pool.query<{ record: TaskRecord }>(
      `SELECT record FROM steplab_tasks WHERE ds = $1
       AND jsonb_path_exists(record->'artifacts', '$.* ? (@.sha == $sha)', jsonb_build_object('sha', $2::text)) LIMIT $3`,
      [this.ds, sha, limit],
    );
    return rows.map((r) => r.record);
  }

  /** Index rows of blobs put outside a task commit (already uploaded), pending until a record refers to them. */
  async commitBlobs(uploaded: UploadedBlobs, shas: string[], resupply: Resupply, owner: { pid: number; host: string }): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await guardBlobs(
        client,
        this.ds,
        `${shas.length} artifact blob(s)`,
        shas.map((sha) => [sha, sha]),
        uploaded,
        resupply,
      );
      await notePending(client, this.ds, shas, owner);
    });
  }

  /**
   * The task record, its logs and the index rows of its new (already uploaded) blobs, in one
   * transaction, after checking that every blob it refers to exists (gc-guard.ts).
   */
  async commitTask(task: TaskRecord, uploaded: UploadedBlobs, logs: TaskLogs | undefined, resupply: Resupply): Promise<void> {
    const what = `task ${taskPathspec(task)}`;
    const refs = taskBlobs(task);
    await inTransaction(this.pool, async (client) => {
      await guardBlobs(client, this.ds, what, refs, uploaded, resupply);
      await client.query(
        `INSERT INTO steplab_tasks (ds, flow, run_id, step, task_id, task_num, status, record)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (ds, flow, run_id, step, task_id) DO UPDATE SET status = EXCLUDED.status, record = EXCLUDED.record`,
        [this.ds, task.flow, task.runId, task.step, task.taskId, idNum(task.taskId), task.status, JSON.stringify(task)],
      );
      if (logs) {
        await client.query(
          `INSERT INTO steplab_logs (ds, flow, run_id, step, task_id, stdout, stderr) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (ds, flow, run_id, step, task_id) DO UPDATE SET stdout = EXCLUDED.stdout, stderr = EXCLUDED.stderr`,
          [this.ds, task.flow, task.runId, task.step, task.taskId, logs.stdout, logs.stderr],
        );
      }
    });
  }

  async getTask(flow: string, runId: string, step: string, taskId: string): Promise<TaskRecord | undefined> {
    const { rows } = await this.pool.query<{ record: TaskRecord }>(
      "SELECT record FROM steplab_tasks WHERE ds = $1 AND flow = $2 AND run_id = $3 AND step = $4 AND task_id = $5",
      [this.ds, flow, runId, step, taskId],
    );
    return rows[0]?.record;
  }

  async listSteps(flow: string, runId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ step: string }>(
      `SELECT step FROM steplab_tasks WHERE ds = $1 AND flow = $2 AND run_id = $3
       GROUP BY step ORDER BY min(task_num) NULLS LAST, min(task_id)`,
      [this.ds, flow, runId],
    );
    return rows.map((r) => r.step);
  }

  async listTasks(flow: string, runId: string, step?: string): Promise<TaskRecord[]> {
    const { rows } = await this.pool.query<{ record: TaskRecord }>(
      `SELECT record FROM steplab_tasks WHERE ds = $1 AND flow = $2 AND run_id = $3 AND ($4::text IS NULL OR step = $4)
       ORDER BY task_num NULLS LAST, task_id`,
      [this.ds, flow, runId, step ?? null],
    );
    return rows.map((r) => r.record);
  }

  async getLogs(flow: string, runId: string, step: string, taskId: string): Promise<TaskLogs | undefined> {
    const { rows } = await this.pool.query<TaskLogs>(
      "SELECT stdout, stderr FROM steplab_logs WHERE ds = $1 AND flow = $2 AND run_id = $3 AND step = $4 AND task_id = $5",
      [this.ds, flow, runId, step, taskId],
    );
    const row = rows[0];
    return row ? { stdout: row.stdout, stderr: row.stderr } : undefined;
  }

  async getCachedTask(flow: string, key: string): Promise<CachedTask | undefined> {
    const { rows } = await this.pool.query<{ run_id: string; step: string; task_id: string }>(
      "SELECT run_id, step, task_id FROM steplab_task_cache WHERE ds = $1 AND flow = $2 AND key = $3",
      [this.ds, flow, key],
    );
    const row = rows[0];
    return row ? { runId: row.run_id, step: row.step, taskId: row.task_id } : undefined;
  }

  async putCachedTask(flow: string, key: string, task: CachedTask): Promise<void> {
    await this.pool.query(
      `INSERT INTO steplab_task_cache (ds, flow, key, run_id, step, task_id) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (ds, flow, key) DO UPDATE SET run_id = EXCLUDED.run_id, step = EXCLUDED.step, task_id = EXCLUDED.task_id`,
      [this.ds, flow, key, task.runId, task.step, task.taskId],
    );
  }

  async addHistory(entry: HistoryEntry): Promise<void> {
    await this.pool.query("INSERT INTO steplab_history (ds, entry) VALUES ($1, $2)", [this.ds, JSON.stringify(entry)]);
  }

  async listHistory(limit?: number): Promise<HistoryEntry[]> {
    if (limit !== undefined && limit <= 0) return [];
    const { rows } = await this.pool.query<{ entry: HistoryEntry }>(
      `SELECT entry FROM (SELECT seq, entry FROM steplab_history WHERE ds = $1 ORDER BY seq DESC LIMIT $2) last
       ORDER BY seq`,
      [this.ds, limit ?? null],
    );
    return rows.map((r) => r.entry);
  }
}
