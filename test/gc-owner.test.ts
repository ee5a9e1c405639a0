/**
 * Whether a record's owner process is alive, with real processes: gc keeps a run in progress
 * (and a pending blob) only while the process that wrote it lives — and not when a later process
 * happens to have the same pid.
 */
import { spawn, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ownerAlive, pendingProtected, PENDING_GRACE_OTHER_HOST_MS } from "../store/index.js";

function sleeper() {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
  return { child, spawnedAt: Date.now() };
}

describe("a record's owner process", () => {
  it("is alive while it runs, and gone once it exits", async () => {
    const { child, spawnedAt } = sleeper();
    try {
      expect(ownerAlive(child.pid, spawnedAt + 100)).toBe(true);
    } finally {
      child.kill();
      await new Promise((r) => child.on("exit", r));
    }
    expect(ownerAlive(child.pid, spawnedAt + 100)).toBe(false);
    expect(ownerAlive(spawnSync(process.execPath, ["-e", ""]).pid, Date.now())).toBe(false);
    expect(ownerAlive(undefined, Date.now())).toBe(false);
  });

  it("is not a process that started after the record was written (its pid was reused)", async () => {
    const { child, spawnedAt } = sleeper();
    try {
      // A record written a minute before this process existed cannot be this process's.
      expect(ownerAlive(child.pid, spawnedAt - 60_000)).toBe(false);
      expect(ownerAlive(process.pid, performance.timeOrigin - 60_000)).toBe(false);
      expect(ownerAlive(process.pid, Date.now())).toBe(true);
    } finally {
      child.kill();
    }
  });

  it("protects a pending blob from this machine while its writer lives; one from another machine for a day", () => {
    const now = Date.now();
    expect(pendingProtected({ sha: "a", at: now, pid: process.pid }, now)).toBe(true);
    expect(pendingProtected({ sha: "a", at: now, pid: spawnSync(process.execPath, ["-e", ""]).pid! }, now)).toBe(false);
    const away = { sha: "a", at: now, pid: process.pid, host: "another-machine" };
    expect(pendingProtected(away, now + PENDING_GRACE_OTHER_HOST_MS - 1000)).toBe(true);
    expect(pendingProtected(away, now + PENDING_GRACE_OTHER_HOST_MS + 1000)).toBe(false);
  });
});
