/**
 * The store under concurrency and crashes: two runs of one flow at once in one datastore, and a
 * run killed with SIGKILL in the middle, after which dump, logs and the next run still work.
 */
import { afterAll, describe, expect, it } from "vitest";
import path from "node:path";
import { FLOWS, Project, runIdOf } from "./helpers/cli.js";

const SLOW = path.join(FLOWS, "slow-foreach.ts");

const project = new Project();
afterAll(() => project.cleanup());

describe("one store, several processes", () => {
  it("two runs of one flow at the same time both succeed", async () => {
    const [a, b] = await Promise.all([
      project.run([SLOW, "run", "--width", "4", "--pause", "100"]),
      project.run([SLOW, "run", "--width", "5", "--pause", "100"]),
    ]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(runIdOf(a.stdout)).not.toBe(runIdOf(b.stdout));
    expect(a.stdout).toContain("total 12");
    expect(b.stdout).toContain("total 20");
    const runs = project.flow("SlowForeachFlow").runs;
    expect(
      runs
        .filter((r) => r.successful)
        .map((r) => r.id)
        .sort(),
    ).toEqual([runIdOf(a.stdout), runIdOf(b.stdout)].sort());
    for (const run of runs) expect(run.step("end").task.data.total).toBe(run.id === runIdOf(a.stdout) ? 12 : 20);
  });

  it("a run killed with kill -9 mid-way leaves a store that dump, logs and the next run read", async () => {
    const child = project.spawn([SLOW, "run", "--width", "8", "--pause", "3000", "--max-workers", "2"]);
    let stdout = "";
    child.stdout!.setEncoding("utf8").on("data", (t: string) => (stdout += t));
    const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
    // kill once the first foreach children are running (their output was committed as it came)
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if ((stdout.match(/working on/g) ?? []).length >= 2) {
          clearInterval(timer);
          resolve();
        }
      }, 50);
      child.on("close", () => {
        clearInterval(timer);
        reject(new Error(`the run ended before it could be killed:\n${stdout}`));
      });
    });
    child.kill("SIGKILL");
    await exited;
    const runId = runIdOf(stdout);

    const run = project.flow("SlowForeachFlow").runs.find((r) => r.id === runId)!;
    // It never got to say how it ended, but its process is gone: the run was killed.
    expect(run.status).toBe("killed");
    expect(run.finished).toBe(true);
    expect(run.successful).toBe(false);
    expect(run.step("start").task.successful).toBe(true);

    const dump = await project.run([SLOW, "dump", `${runId}/start/1`]);
    expect(dump.code).toBe(0);
    expect(dump.stdout).toMatch(/^items \[size: \d+ type: Array\] = \[/m);
    const logs = await project.run([SLOW, "logs", `${runId}/start/1`]);
    expect(logs.code).toBe(0);
    const workDump = await project.run([SLOW, "dump", `${runId}/work`, "--private"]);
    expect(workDump.code).toBe(0);
    expect(workDump.stdout).toContain("_status = 'running'");

    const next = await project.run([SLOW, "run", "--width", "2", "--pause", "10"]);
    expect(next.code).toBe(0);
    expect(next.stdout).toContain("total 2");
  });
});
