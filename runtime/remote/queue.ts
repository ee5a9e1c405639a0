/**
 * The task queue: one BullMQ queue on Redis, one job per task. A job carries where the task is
 * (datastore, flow file, pathspec, input task ids, foreach index) but no artifact values: a worker
 * reads its inputs — foreach items included — from the datastore, as every machine sees the same.
 */
import { Redis } from "ioredis";
import type { StoredTask } from "../executor/index.js";
import { redactUrl, taskPathspec, type RemoteConfig } from "../../store/index.js";
import { SteplabError } from "../../errors/index.js";

export const JOB_NAME = "task";

/** Where a queued task is: the stored task's own fields, plus what a worker needs to run it. */
export interface TaskJobData extends StoredTask {
  /** `s3://bucket/prefix`: the remote datastore every worker reads and writes. */
  datastore: string;
  /** Absolute path of the flow file; each worker bundles it from there. */
  file: string;
  flowClass: string;
  isolation: "isolate" | "process";
  memoryMb?: number;
  timeoutSeconds?: number;
}

/** A job's progress while it runs: what its task printed since the last one (see LiveOutput). */
export interface OutputProgress {
  /** The attempt that printed it (a retried task prints again). */
  attempt: number;
  output: ["stdout" | "stderr", string][];
}

export function isOutputProgress(data: unknown): data is OutputProgress {
  const d = data as OutputProgress | null;
  return typeof d === "object" && d !== null && typeof d.attempt === "number" && Array.isArray(d.output);
}

export class QueueError extends SteplabError {
  constructor(message: string) {
    super("QUEUE", message);
  }
}

/** A job id from a task's pathspec and attempt: sending the same attempt twice finds its job already there. */
export function jobIdFor(data: Pick<TaskJobData, "flow" | "runId" | "step" | "taskId" | "attempt">): string {
  return `${taskPathspec(data)}#${data.attempt ?? 0}`;
}

export function redisUrl(config: RemoteConfig): string {
  if (!config.redisUrl) {
    throw new QueueError(`the task queue needs Redis, but none is configured: set STEPLAB_REDIS_URL or "redisUrl" in steplab.config.json`);
  }
  return config.redisUrl;
}

/** A connection for BullMQ (blocking commands need maxRetriesPerRequest: null). */
export function connect(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, connectTimeout: 5_000, lazyConnect: true });
  // Reconnection errors are retried by ioredis; reachability is checked once up front (checkRedis).
  redis.on("error", () => undefined);
  return redis;
}

/** Fails fast with a clear message when Redis cannot be reached (ioredis would retry forever). */
export async function checkRedis(url: string, timeoutMs = 5_000): Promise<void> {
  const probe = new Redis(url, { maxRetriesPerRequest: 0, connectTimeout: timeoutMs, lazyConnect: true, retryStrategy: () => null });
  probe.on("error", () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new QueueError(`cannot reach the task queue's Redis at ${redactUrl(url)}: ${(err as Error).message}`);
  } finally {
    probe.disconnect();
  }
}
