/**
 * How the executor knows a task read the datastore through the client API (Flow, Run, Task ...):
 * every such read goes through the task's StoreReader. Loading a blob by its hash is how a task
 * reads its own inputs too, so only the reads that find runs, steps, tasks and logs count.
 */
import type { StoreReader } from "../../store/index.js";

export function watchClientReads(reader: StoreReader, onRead: () => void): StoreReader {
  const seen =
    <A extends unknown[], R>(read: (...args: A) => R) =>
    (...args: A): R => {
      onRead();
      return read(...args);
    };
  return {
    listFlows: seen(() => reader.listFlows()),
    listRuns: seen((flow) => reader.listRuns(flow)),
    getRun: seen((flow, runId) => reader.getRun(flow, runId)),
    listSteps: seen((flow, runId) => reader.listSteps(flow, runId)),
    listTasks: seen((flow, runId, step) => reader.listTasks(flow, runId, step)),
    listRunTasks: seen((flow, runId) => reader.listRunTasks(flow, runId)),
    getTask: seen((flow, runId, step, taskId) => reader.getTask(flow, runId, step, taskId)),
    getLogs: seen((flow, runId, step, taskId) => reader.getLogs(flow, runId, step, taskId)),
    loadBlob: (sha) => reader.loadBlob(sha),
    loadWire: (sha) => reader.loadWire(sha),
    sameBlob: (sha, parts) => reader.sameBlob?.(sha, parts) ?? false,
  };
}
