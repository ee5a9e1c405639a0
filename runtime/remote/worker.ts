/**
 * `steplab worker`: takes task jobs from the queue and runs each (one attempt of a task) with a
 * local executor, as a local run does (bundle the flow file from its path, run the step in a
 * sandbox, commit the attempt), against the remote datastore named in the job. Every machine
 * running workers has the code. Retries and catch are decided by the run that sent the job.
 *
 * A task that already succeeded in the datastore is not run again (a job re-sent after its worker
 * committed but died before acknowledging). A worker killed mid-task (kill -9) stops renewing its
 * job's lock; BullMQ's stalled-job check puts the job back and another worker runs it.
 */
import { statSync } from "node:fs";
import os from "node:os";
import { Worker, type Job } from "bullmq";
import { LocalExecutor, SandboxPool, taskSpecFromStore, type StepPolicy } from "../executor/index.js";
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

interface ExecutorEntry {
  executor: LocalExecutor;
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
  const executors = new Map<string, ExecutorEntry>();
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

  // One executor per flow file and datastore, rebuilt when the file changes (same path, new code on redeploy).
  const executorFor = (data: TaskJobData, store: RemoteStore): LocalExecutor => {
    const key = `${data.file}\u0000${data.flowClass}\u0000${data.datastore}`;
    let mtimeMs: number;
    try {
      mtimeMs = statSync(data.file).mtimeMs;
    } catch {
      throw new QueueError(`this worker (${name}) cannot find the flow file ${data.file}: workers need the same code at the same path`);
    }
    const existing = executors.get(key);
    if (existing && existing.mtimeMs === mtimeMs) return existing.executor;
    if (existing) void existing.executor.close();
    const executor = new LocalExecutor({ store, sandboxes: new SandboxPool(data.file, data.flowClass, data.datastore) });
    executors.set(key, { executor, mtimeMs });
    return executor;
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
    const spec = taskSpecFromStore(store, data, { loadList: (sha) => lists.get(sha, () => decodeArtifact(store.getBlob(sha))) });
    const step: StepPolicy = {
      name: data.step,
      options: { isolation: data.isolation, memoryMb: data.memoryMb, timeoutSeconds: data.timeoutSeconds },
    };
    const live = new LiveOutput(data.attempt ?? 0, (progress) => job.updateProgress(progress));
    try {
      const outcome = await executorFor(data, store).attempt(spec, step, { onOutput: (stream, text) => live.add(stream, text) });
      // Thrown, so the job fails and the run that sent it decides on a retry or catch.
      if (outcome.error) throw outcome.error;
      return { status: "succeeded" };
    } finally {
      await live.flush();
    }
  };

  const lockMs = opts.lockMs ?? DEFAULT_LOCK_MS;
  const connection = connect(url);
  const worker = new Worker<TaskJobData>(
    opts.config.queue,
    async (job) => {
      if (job.name !== JOB_NAME) throw new QueueError(`unknown job kind '${job.name}'`);
      opts.log(`${job.id}: started`);
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
      await Promise.allSettled([...executors.values()].map((e) => e.executor.close()));
      await Promise.allSettled([...stores.values()].map((s) => s.close()));
    },
  };
}
