/**
 * SPEC §6 `current`: inside a step (isolate or process), a retried attempt, a resumed run and a
 * notebook cell, through the real `steplab` command and read back with the client; outside a step
 * (a Node script importing the installed package) isRunningFlow is false.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Task } from "../runtime/client/index.js";
import { createSession, type CellSink } from "../runtime/session/index.js";
import { storeReader } from "../store/index.js";
import { BIN, Project, runIdOf } from "./helpers/cli.js";

const project = new Project();
const env = { STEPLAB_USER: "ada" };
let runId: string;
let resumedId: string;
let first: Awaited<ReturnType<Project["run"]>>;

beforeAll(async () => {
  const file = project.fixture("current.ts");
  // `check` accepts the import (the graph is read statically); the run bundles it.
  const check = await project.run([file, "check"], { env });
  expect(check.stdout + check.stderr).toContain("The graph looks good!");
  first = await project.run([file, "run", "--tag", "nightly"], { env });
  runId = runIdOf(first.stdout);
  const resumed = await project.run([file, "resume"], { env });
  expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
  resumedId = runIdOf(resumed.stdout);
}, 180_000);

afterAll(() => project.cleanup());

describe("current inside steps", () => {
  it("says the flow, run, step, task, pathspec, tags and user in every step", () => {
    expect(first.stderr).not.toContain("No matching export");
    expect(first.code).toBe(1); // end fails until resumed
    const run = project.flow("CurrentFlow").runs.find((r) => r.id === runId)!;
    const start = run.step("start").task;
    expect(start.data.atStart).toEqual({
      flowName: "CurrentFlow",
      runId,
      stepName: "start",
      taskId: start.id,
      pathspec: `CurrentFlow/${runId}/start/${start.id}`,
      retryCount: 0,
      originRunId: undefined,
      tags: expect.arrayContaining(["user:ada", "nightly"]),
      username: "ada",
      namespace: "user:ada",
      isRunningFlow: true,
    });
    const inProcess = run.step("in_process").task;
    expect(inProcess.data.inProcess).toMatchObject({ stepName: "in_process", taskId: inProcess.id, pathspec: inProcess.pathspec });
  });

  it("retryCount counts the attempts, and the client's task.attempt says which one won", () => {
    const flaky = project
      .flow("CurrentFlow")
      .runs.find((r) => r.id === runId)!
      .step("flaky").task;
    expect(flaky.successful).toBe(true);
    expect(flaky.data.atFlaky).toMatchObject({ retryCount: 1, stepName: "flaky" });
    expect(flaky.attempt).toBe(1);
  });

  it("a failed task keeps what it set: dump and the client show current as its step saw it", async () => {
    const end = project
      .flow("CurrentFlow")
      .runs.find((r) => r.id === runId)!
      .step("end").task;
    expect(end.successful).toBe(false);
    expect(end.data.atEnd).toMatchObject({ stepName: "end", runId });
    const dump = await project.run([project.fixture("current.ts"), "dump", `${runId}/end`], { env });
    expect(dump.stdout).toMatch(/^atEnd \[size: \d+ type: Object\] = .*stepName: 'end'/m);
    const logs = await project.run([project.fixture("current.ts"), "logs", `${runId}/end`], { env });
    expect(logs.stderr).toContain("Error: end fails until the run is resumed");
  });

  it("originRunId names the run a resume came from", () => {
    const run = project.flow("CurrentFlow").runs.find((r) => r.id === resumedId)!;
    expect(run.successful).toBe(true);
    expect(run.step("end").task.data.atEnd).toMatchObject({ originRunId: runId, runId: resumedId });
  });
});

describe("current outside steps", () => {
  it("a script that imports the package sees isRunningFlow false, and a clear error for the rest", () => {
    const dir = path.join(project.dir, "script");
    mkdirSync(path.join(dir, "node_modules"), { recursive: true });
    symlinkSync(path.dirname(path.dirname(BIN)), path.join(dir, "node_modules", "steplab"));
    const out = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { current } from "steplab";
         let error; try { current.runId; } catch (e) { error = e.message; }
         console.log(JSON.stringify({ running: current.isRunningFlow, error }));`,
      ],
      { cwd: dir, encoding: "utf8" },
    );
    const seen = JSON.parse(out);
    expect(seen.running).toBe(false);
    expect(seen.error).toMatch(/current\.runId is only set while a step runs/);
  });

  it("a notebook cell is a step: current names its task", async () => {
    const dir = path.join(os.tmpdir(), `steplab-current-cell-${process.pid}`);
    const session = await createSession({
      storeRoot: path.join(dir, "store"),
      cwd: dir,
      flowName: "CellsFlow",
      env: { ...process.env, STEPLAB_USER: "nb-user" },
    });
    try {
      const printed: string[] = [];
      const sink: CellSink = { stdout: (t) => printed.push(t), stderr: (t) => printed.push(t), display: () => {}, clearOutput: () => {} };
      const a = await session.execute(
        `//% step start\nself.where = current.pathspec;\nconsole.log(current.stepName, current.isRunningFlow, current.username, namespace());`,
        { sink },
      );
      expect(a.error).toBeUndefined();
      expect(printed.join("")).toBe("start true nb-user user:nb-user\n");
      // Imported in a setup cell (imports in a step cell are refused), current is the same object.
      const setup = await session.execute(`//% setup\nimport { current as c } from "steplab";`, { sink });
      expect(setup.error).toBeUndefined();
      const b = await session.execute(`//% step second\nself.where = c.pathspec;`, { sink });
      expect(b.error).toBeUndefined();
      // A scratch cell is no task, but reads past runs in its user's namespace, as step cells do.
      const scratch = await session.execute(`//% skip\nnamespace() + " " + current.isRunningFlow`, { sink });
      expect(scratch.result?.["text/plain"]).toBe("'user:nb-user false'");
      const reader = storeReader(session.store);
      for (const cell of [a, b]) {
        expect(cell.taskPathspec).toMatch(/^CellsFlow\/\d+\/(start|second)\/\d+$/);
        expect(Task(cell.taskPathspec!, reader).data.where).toBe(cell.taskPathspec);
      }
    } finally {
      await session.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
