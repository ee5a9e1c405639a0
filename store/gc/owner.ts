/**
 * Whether the process that owns a record (a running run, a pending blob, a gc lease) is alive:
 * store/run-owner.ts decides it, for `withLiveStatus` (a run whose process is gone reads killed)
 * and for gc alike, pid reuse included.
 */
import os from "node:os";

export { processAlive as ownerAlive } from "../run-owner.js";

export function thisHost(): string {
  return os.hostname();
}
