/**
 * The read side of the store that the client API needs. On the host it is the store itself
 * (storeReader below); inside an isolate it is a bridge to the host's store, which is why the
 * client API works the same in a script, in a step and in a notebook cell.
 */
import { decodeArtifact, wireFromBytes } from "./codec.js";
import type { WireValue } from "./wire.js";
import type { RunRecord, Store, TaskLogs, TaskRecord } from "./types.js";

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
  /**
   * A blob in the form it crosses into a sandbox (store/wire): an array or a table's columns on the
   * bytes read, not yet rows or copies. Host side only (inside a sandbox the reader is a bridge).
   */
  loadWire(sha: string): WireValue;
  /** Whether `parts` are exactly blob `sha`'s bytes, when the store can tell without hashing (Store.sameBlob). Host side only. */
  sameBlob?(sha: string, parts: readonly Uint8Array[]): boolean;
}

/** A StoreReader over an open store (host side, and in `process` steps). */
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
    loadWire: (sha) => wireFromBytes(store.getBlob(sha)),
    sameBlob: (sha, parts) => store.sameBlob?.(sha, parts) ?? false,
  };
}
