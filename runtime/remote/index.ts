export { QueueExecutor, QueueTaskError, type QueueExecutorOptions } from "./queue-executor.js";
export { startWorker, DEFAULT_LOCK_MS, type WorkerOptions, type RunningWorker } from "./worker.js";
export { checkRedis, jobIdFor, QueueError, type TaskJobData } from "./queue.js";
