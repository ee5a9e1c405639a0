/**
 * Whether the process that owns a record (a running run, a pending blob, a gc lease) is still
 * alive. A pid alone is not enough: pids are reused, so on Linux the process must also have
 * started before the record was written. Elsewhere only the pid is checked.
 */
import { readFileSync } from "node:fs";
import os from "node:os";

/** Clock ticks per second of /proc/PID/stat's start time (USER_HZ; 100 on every Linux port). */
const USER_HZ = 100;
/** Start times are known to 10 ms and the wall clock may step: tolerate this much. */
const SLACK_MS = 2_000;

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** When the process started (ms since the epoch), or undefined where /proc cannot say. */
export function processStartedAt(pid: number, now = Date.now()): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const startTicks = Number(fields[19]);
    const uptimeSeconds = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    if (!Number.isFinite(startTicks) || !Number.isFinite(uptimeSeconds)) return undefined;
    return now - (uptimeSeconds * 1000 - (startTicks / USER_HZ) * 1000);
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is alive and can be the process that wrote a record at `since` (ms since the
 * epoch): a process with that pid that started after `since` is another one that reused the pid.
 */
export function ownerAlive(pid: number | undefined, since: number): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return performance.timeOrigin <= since + SLACK_MS;
  if (!exists(pid)) return false;
  const started = processStartedAt(pid);
  return started === undefined || started <= since + SLACK_MS;
}

export function thisHost(): string {
  return os.hostname();
}
