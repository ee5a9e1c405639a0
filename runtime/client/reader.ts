/**
 * The read side of the store that the client API needs. On the host it is the LMDB store itself;
 * inside an isolate it is a bridge to the host's store — which is why the client API works the
 * same in a script, in a step and in a notebook cell.
 */
import type { RunRecord, TaskLogs, TaskRecord } from "../../store/types.js";

export interface StoreReader {
  listFlows(): string[];
  listRuns(flow: string): RunRecord[];
  getRun(flow: string, runId: string): RunRecord | undefined;
  listSteps(flow: string, runId: string): string[];
  listTasks(flow: string, runId: string, step: string): TaskRecord[];
  listRunTasks(flow: string, runId: string): TaskRecord[];
  getTask(flow: string, runId: string, step: string, taskId: string): TaskRecord | undefined;
  getLogs(flow: string, runId: string, step: string, taskId: string): TaskLogs | undefined;
  /** The decoded value of a blob (class envelopes not yet rebuilt). */
  loadBlob(sha: string): unknown;
}

let defaultReader: (() => StoreReader) | undefined;

/** The host sets how to open the default store (the datastore resolved from cwd/env). */
export function setDefaultReader(factory: () => StoreReader): void {
  defaultReader = factory;
}

export function currentReader(): StoreReader {
  const fromHost = globalThis.__steplabHost?.reader;
  if (fromHost) return fromHost;
  if (!defaultReader) throw new Error("steplab: no datastore is available in this context");
  return defaultReader();
}
