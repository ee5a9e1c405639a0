/**
 * Whether the process that runs a run is still there. A run records its owner (pid and host); a
 * run still marked "running" whose owner is gone (kill -9, a crash, a reboot) was killed, and reads
 * as such. A pid can be reused by another process: on Linux the process now holding it must have
 * started before the run did, or it is not the owner.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import type { RunRecord } from "./types.js";

/** The owner fields of a run this process runs. */
export function runOwner(): Pick<RunRecord, "pid" | "host"> {
  return { pid: process.pid, host: os.hostname() };
}

/** Clock ticks per second as the kernel counts process start times (USER_HZ: 100 on every Linux port in use). */
const TICKS_PER_SECOND = 100;
/** /proc gives the boot time in whole seconds and start times in ticks: allow for both. */
const START_SLACK_MS = 2000;

let bootTimeMs: number | undefined | null = null;

function bootTime(): number | undefined {
  if (bootTimeMs === null) {
    const btime = /^btime (\d+)$/m.exec(readOr("/proc/stat"))?.[1];
    bootTimeMs = btime ? Number(btime) * 1000 : undefined;
  }
  return bootTimeMs;
}

function readOr(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** When the process `pid` started (ms since epoch), where the system says; undefined if unknown. */
function startedAt(pid: number): number | undefined {
  const stat = readOr(`/proc/${pid}/stat`);
  // The command name may hold spaces and parentheses: fields are counted after its last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[19]);
  const boot = bootTime();
  return stat && Number.isFinite(ticks) && boot !== undefined ? boot + (ticks * 1000) / TICKS_PER_SECOND : undefined;
}

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether `pid` is alive and can be the process that wrote a record at `since` (ms since the
 * epoch): one with that pid that started after `since` is another that reused the pid. For this
 * process itself, the same holds of when it started. gc asks it of runs, leases and pending blobs.
 */
export function processAlive(pid: number | undefined, since: number): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return performance.timeOrigin <= since + START_SLACK_MS;
  if (!exists(pid)) return false;
  const started = startedAt(pid);
  return started === undefined || started <= since + START_SLACK_MS;
}

/** True when the run's owner is known to be gone: on this machine, and its pid is free or another process's. */
export function ownerGone(run: RunRecord): boolean {
  if (run.pid === undefined || run.host === undefined || run.host !== os.hostname()) return false;
  if (run.pid === process.pid) return false;
  if (!exists(run.pid)) return true;
  const started = startedAt(run.pid);
  return started !== undefined && started > run.createdAt + START_SLACK_MS;
}

/** The run as it stands: one still "running" whose owner is gone reads as "killed". */
export function withLiveStatus<T extends RunRecord | undefined>(run: T): T {
  if (run?.status === "running" && ownerGone(run)) return { ...run, status: "killed" };
  return run;
}
