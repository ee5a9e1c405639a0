/**
 * What guest code (a step inside an isolate or a child process) may ask of its host.
 * The sandbox installs one implementation as `globalThis.__steplabHost` before the flow's
 * bundle runs; in a plain Node script there is none and the client API reads the store directly.
 */
import { toStorable, type RecordTable } from "../../../store/portable.js";
import type { StoreReader } from "../../../store/index.js";

export interface GuestHost {
  /** The decoded value of a blob (class envelopes not yet rebuilt). */
  loadBlob(sha: string): unknown;
  /**
   * Hand an artifact the step set to the host (as toStorable made it: `table` is its record table,
   * when it has one); throws when the value cannot be copied.
   */
  emit(name: string, value: unknown, table?: RecordTable): void;
  /** Console output of the running task. */
  log(stream: "stdout" | "stderr", args: unknown[]): void;
  /** Store reads for the client API (Flow, Run, Step, Task) used inside a step. */
  reader?: StoreReader;
  /** Notebook cells: the value of the cell's last expression. */
  result?(value: unknown): void;
  /** Notebook cells: display(); kind is "auto", "html", "markdown", "json", "png", "svg" or "table". */
  display?(kind: string, data: unknown, options: { displayId?: string; update?: boolean }): void;
  /** Notebook cells: run a flow file, resolving to its run's pathspec. */
  runFlow?(file: string, params: Record<string, unknown>): Promise<string>;
  /** Notebook cells: ask the front end for a line of input. */
  prompt?(text: string, password: boolean): Promise<string>;
}

declare global {
  // eslint-disable-next-line no-var
  var __steplabHost: GuestHost | undefined;
}

export function currentHost(): GuestHost {
  const host = globalThis.__steplabHost;
  if (!host) throw new Error("steplab: no task is running in this context");
  return host;
}

/**
 * Hands an artifact's value to the host the one way every guest does: as toStorable makes it
 * (class instances in envelopes, an array of flat records with the columns already found).
 */
export function emitArtifact(host: GuestHost, name: string, value: unknown): void {
  const storable = toStorable(value);
  host.emit(name, storable.value, storable.table);
}
