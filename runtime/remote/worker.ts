/**
 * `steplab worker`: takes task jobs from the queue and runs them with the same engine as a local
 * run (bundle the flow file from its path, run the step in a sandbox, commit through executeTask)
 * against the remote datastore named in the job. Every machine running workers has the code.
 *
 * A task that already succeeded in the datastore is not run again (a job re-sent after its worker
 * committed but died before acknowledging). A worker killed mid-task (kill -9) stops renewing its
 * job's lock; BullMQ's stalled-job check puts the job back and another worker runs it.
 */
import { statSync } from "node:fs";
import os from "node:os";
import { Worker, type Job } from "bullmq";
import { storeReader } from "../../store/index.js";
import { executeTask, SandboxPool, taskSpecFromStore } from "../scheduler/index.js";
import type { StepNode } from "../graph/types.js";
import { decodeArtifact, isRemoteRoot, RemoteStore, type RemoteConfig } from "../../store/index.js";
import { LiveOutput } from "./live-output.js";
import { connect, JOB_NAME, jobIdFor, QueueError, redisUrl, type TaskJobData } from "./queue.js";

export const DEFAULT_LOCK_MS = 30_000;

export interface WorkerOptions {
  config: RemoteConfig;
  concurrency: number;
  /** How long a job stays locked without renewal before it counts as stalled (STEPLAB_WORKER_LOCK_MS). */
  lockMs?: number;
  log(line: string): void;
}

export interface RunningWorker {
  readonly name: string;
  /** Stops taking jobs, lets running tasks finish, closes connections. */
  close(): Promise<void>;
}

interface PoolEntry {
  pool: SandboxPool;
  mtimeMs: number;
}

/** Decoded foreach lists by blob sha: every child of a foreach reads the same list. */
class ListCache {
  readonly #entries = new Map<string, unknown>();
  get(sha: string, load: () => unknown): unknown {
    if (this.#entries.has(sha)) return this.#entries.get(sha);
    const value = load();
    this.#entries.set(sha, value);
    if (this.#entries.size > 8) this.#entries.delete(this.#entries.keys().next().value!);
    return value;
  }
}

export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const url = redisUrl(opts.config);
  const stores = new Map<string, RemoteStore>();
  const pools = new Map<string, PoolEntry>();
  const lists = new ListCache();
  const name = `${os.hostname()}:${process.pid}`;

  const storeFor = (root: string): RemoteStore => {
    if (!isRemoteRoot(root)) {
      throw new QueueError(
        `a queued task must use a remote datastore (s3://…), got ${root}: workers on other machines cannot read a local one`,
      );
    }
    let store = stores.get(root);
    if (!store) {
      store = new RemoteStore(root, { config: opts.config });
      stores.set(root, store);
    }
    return store;
  };

  // One pool per flow file, rebuilt when the file changes (same path, new code on redeploy).
  const poolFor = async (data: TaskJobData): Promise<SandboxPool> => {
    const key = `${data.file}\u0000${data.flowClass}\u0000${data.datastore}`;
    let mtimeMs: number;
    try {
      mtimeMs = statSync(data.file).mtimeMs;
    } catch {
      throw new QueueError(`this worker (${name}) cannot find the flow file ${data.file}: workers need the same code at the same path`);
    }
    const existing = pools.get(key);
    if (existing && existing.mtimeMs === mtimeMs) return existing.pool;
    if (existing) void existing.pool.dispose();
    const pool = new SandboxPool(data.file, data.flowClass, data.datastore);
    pools.set(key, { pool, mtimeMs });
    return pool;
  };

  const run = async (job: Job<TaskJobData>): Promise<{ status: string; reused?: boolean }> => {
    const data = job.data;
    const pathspec = jobIdFor(data);
    const store = storeFor(data.datastore);
    const existing = store.getTask(data.flow, data.runId, data.step, data.taskId);
    if (existing?.status === "succeeded") {
      opts.log(`${pathspec}: already succeeded, not run again`);
      return { status: "succeeded", reused: true };
    }
    const spec = taskSpecFromStore(
      store,
      { ...data, attempt: job.attemptsMade },
      { loadList: (sha) => lists.get(sha, () => decodeArtifact(store.getBlob(sha))) },
    );
    const pool = await poolFor(data);
    const sandbox = await pool.acquire({ options: { isolation: data.isolation } } as StepNode);
    const live = new LiveOutput(job.attemptsMade, (progress) => job.updateProgress(progress));
    try {
      const outcome = await executeTask(spec, {
        store,
        reader: storeReader(store),
        sandbox,
        limits: { memoryMb: data.memoryMb, timeoutSeconds: data.timeoutSeconds },
        onOutput: (stream, text) => live.add(stream, text),
        pid: process.pid,
      });
      // Thrown, so BullMQ retries it while attempts (the step's retries) remain.
      if (outcome.error) throw outcome.error;
      return { status: "succeeded" };
    } finally {
      await live.flush();
      pool.release(sandbox);
    }
  };

  const lockMs = opts.lockMs ?? DEFAULT_LOCK_MS;
  const connection = connect(url);
  const worker = new Worker<TaskJobData>(
    opts.config.queue,
    async (job) => {
      if (job.name !== JOB_NAME) throw new QueueError(`unknown job kind '${job.name}'`);
      opts.log(`${job.id}: started (attempt ${job.attemptsMade + 1})`);
      try {
        const result = await run(job);
        opts.log(`${job.id}: finished`);
        return result;
      } catch (err) {
        opts.log(`${job.id}: failed: ${(err as Error).message.split("\n")[0]}`);
        throw err;
      }
    },
    {
      connection,
      concurrency: opts.concurrency,
      name,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      maxStalledCount: 2,
    },
  );
  worker.on("error", (err) => opts.log(`queue error: ${err.message}`));
  await worker.waitUntilReady();

  return {
    name,
    async close() {
      await worker.close();
      connection.disconnect();
      await Promise.allSettled([...pools.values()].map((p) => p.pool.dispose()));
      await Promise.allSettled([...stores.values()].map((s) => s.close()));
    },
  };
}
