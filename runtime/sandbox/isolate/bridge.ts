/**
 * The contract between the host and a context's prelude. The host installs two functions in each
 * fresh context, `__steplabBridgeCall(name, ...args)` for answers it gives at once and
 * `__steplabBridgeWait(name, ...args)` for answers that come later (a promise); the prelude turns
 * them back into named functions. Two functions instead of one per name make a context cheaper
 * to set up. Imported by both sides (the prelude through esbuild).
 */
import type { StoreReader } from "../../../store/index.js";

export const BRIDGE_CALL = "__steplabBridgeCall";
export const BRIDGE_WAIT = "__steplabBridgeWait";

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
  loadBlob(sha: string): unknown;
  emit(name: string, value: unknown): void;
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
