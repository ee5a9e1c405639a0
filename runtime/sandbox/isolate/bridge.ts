/**
 * The contract between the host and a context's prelude. The host installs two functions in each
 * fresh context, `__steplabBridgeCall(name, ...args)` for answers it gives at once and
 * `__steplabBridgeWait(name, ...args)` for answers that come later (a promise); the prelude turns
 * them back into named functions. Two functions instead of one per name make a context cheaper
 * to set up. Imported by both sides (the prelude through esbuild).
 */
import type { StoreReader, WireValue } from "../../../store/index.js";
import type { Handover, MovedBuffers } from "./handover.js";

export const BRIDGE_CALL = "__steplabBridgeCall";
export const BRIDGE_WAIT = "__steplabBridgeWait";
/**
 * isolated-vm's module (a class alone does not cross into a context): the prelude keeps its
 * ExternalCopy to move buffers to the host, and removes the rest before any user code runs.
 */
export const BRIDGE_IVM = "__steplabIvm";

/** The client API's reads, called as `reader.NAME`. */
export const READER_METHODS = [
  "listFlows",
  "listRuns",
  "getRun",
  "listSteps",
  "listTasks",
  "listRunTasks",
  "getTask",
  "getLogs",
  "loadBlob",
] as const satisfies readonly (keyof StoreReader)[];

/** Answered at once. */
export interface BridgeCalls {
  /** An artifact's value, large arrays moved in (handover.ts). */
  loadBlob(sha: string): Handover;
  /** An artifact the step set; the large arrays it names follow with `moved`. */
  emit(name: string, value: WireValue): void;
  /** The large arrays of the artifacts emitted, once the step has handed all of them over. */
  moved(buffers: MovedBuffers): void;
  log(stream: "stdout" | "stderr", args: unknown[]): void;
  logText(stream: "stdout" | "stderr", text: string): void;
  setTimer(id: number, ms: number): void;
  clearTimer(id: number): void;
  randomBytes(length: number): Uint8Array;
  encodeUtf8(text: string): Uint8Array;
  decodeText(bytes: Uint8Array, label: string, fatal: boolean): string;
  /** The host's clock in ms since the epoch, with sub-millisecond precision, for performance.now(). */
  now(): number;
  /** structuredClone(): the value's copy into the host and back is V8's own structured clone. */
  clone(value: unknown): unknown;
  /** The host's environment variables, copied once per task (process.env). */
  env(): Record<string, string>;
  /** Notebook helpers: a flow's task has none, and says so when its code calls them. */
  result(value: unknown): void;
  display(kind: string, data: unknown, options: { displayId?: string; update?: boolean }): void;
}

/** Answered later: the prelude awaits them. */
export interface BridgeWaits {
  runFlow(file: string, params: Record<string, unknown>): Promise<string>;
  prompt(text: string, password: boolean): Promise<string>;
}
