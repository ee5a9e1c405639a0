/** The client's StoreReader over an open LMDB store (host side, and in `process` steps). */
import { decodeArtifact, type Store } from "../../store/index.js";
import type { StoreReader } from "./reader.js";

export function storeReader(store: Store): StoreReader {
  return {
    listFlows: () => store.listFlows(),
    listRuns: (flow) => store.listRuns(flow),
    getRun: (flow, runId) => store.getRun(flow, runId),
    listSteps: (flow, runId) => store.listSteps(flow, runId),
    listTasks: (flow, runId, step) => store.listTasks(flow, runId, step),
    listRunTasks: (flow, runId) => store.listRunTasks(flow, runId),
    getTask: (flow, runId, step, taskId) => store.getTask(flow, runId, step, taskId),
    getLogs: (flow, runId, step, taskId) => store.getLogs(flow, runId, step, taskId),
    loadBlob: (sha) => decodeArtifact(store.getBlob(sha)),
  };
}
