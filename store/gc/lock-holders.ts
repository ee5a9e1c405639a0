/**
 * Which processes have an LMDB environment open. Every process that opens one holds a POSIX
 * (fcntl) read lock on its lock.mdb for as long as it keeps it open (LMDB takes it in
 * mdb_env_open to learn whether it is the first user), and Linux lists those locks in
 * /proc/locks by device and inode. Where /proc/locks does not exist, the answer is unknown.
 */
import { readFileSync, statSync } from "node:fs";

export interface LockHolder {
  pid: number;
  /** Its command line, when /proc shows it (for the message that names it). */
  command?: string;
}

/** glibc's encoding of st_dev: the major and minor device numbers. */
function deviceNumbers(dev: bigint): [bigint, bigint] {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return [major, minor];
}

function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ") || undefined;
  } catch {
    return undefined;
  }
}

/** The processes holding a lock on `file`, or undefined when this system cannot tell. */
export function lockHolders(file: string): LockHolder[] | undefined {
  let table: string;
  try {
    table = readFileSync("/proc/locks", "utf8");
  } catch {
    return undefined;
  }
  const st = statSync(file, { bigint: true });
  const [major, minor] = deviceNumbers(st.dev);
  const pids = new Set<number>();
  for (const line of table.split("\n")) {
    // "1: POSIX  ADVISORY  READ 20557 08:01:1234567 0 0" (a "->" line is a waiter: skip it).
    const m = /^\d+:\s+(\S+)\s+\S+\s+\S+\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/i.exec(line);
    if (!m) continue;
    if (BigInt(`0x${m[3]}`) !== major || BigInt(`0x${m[4]}`) !== minor || BigInt(m[5]!) !== st.ino) continue;
    const pid = Number(m[2]);
    // Open file description locks (OFDLCK) carry no pid (-1): someone holds it, unknown who.
    pids.add(pid > 0 ? pid : -1);
  }
  return [...pids].map((pid) => ({ pid, command: pid > 0 ? commandOf(pid) : undefined }));
}
