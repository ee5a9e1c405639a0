/**
 * A run's end is always told and recorded, as a user meets it with the real `steplab` command: a
 * step that can never settle fails naming itself, SIGTERM and SIGINT stop the run and record it
 * killed, a run whose process was killed with SIGKILL reads as killed, one task's stray rejection
 * does not fail the next, and small CLI edges (a closed pipe, an infinite number) are handled.
 */
import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, Project, runIdOf, taskLines } from "./helpers/cli.js";

let project: Project;
beforeAll(() => {
  project = new Project();
});
afterAll(async () => {
  await project.cleanup();
});

const HEADER = `import { FlowSpec, step, prompt } from "steplab";\n`;

describe("a step whose promise never settles", () => {
  for (const isolation of ["isolate", "process"] as const) {
    it(`(${isolation}) fails naming the step, the run ends with Workflow failed. and is recorded failed`, async () => {
      const name = `Hang${isolation === "isolate" ? "I" : "P"}Flow`;
      project.write(
        `${name}.ts`,
        `${HEADER}export class ${name} extends FlowSpec {
  @step start() { this.next(this.hang); }
  @step({ isolation: "${isolation}" }) async hang() {
    await new Promise(() => {});
    this.next(this.end);
  }
  @step end() {}
}
`,
      );
      const result = await project.run([`${name}.ts`, "run"]);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/\[\d+\/hang\/2 \(pid \d+\)\] TaskStalledError: Step 'hang' never finished/);
      expect(result.stdout).toContain("Workflow failed.");
      const run = project.flow(name).latestRun!;
      expect(run.status).toBe("failed");
      expect(run.finished).toBe(true);
      expect(run.step("hang").task.successful).toBe(false);
    });
  }
});

describe("stopping a run", () => {
  const SLOW = `${HEADER}export class SlowFlow extends FlowSpec {
  declare items: number[];
  @step start() { this.items = [1, 2]; this.next(this.nap, { foreach: "items" }); }
  @step({ isolation: "process" }) async nap() {
    console.log("child", process.pid);
    await new Promise((resolve) => setTimeout(resolve, 120_000));
    this.next(this.join);
  }
  @step join(inputs: unknown[]) { this.next(this.end); }
  @step end() {}
}
`;

  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** Starts `steplab slow.ts run` and resolves once both foreach children are running. */
  async function startSlow() {
    const child = project.spawn(["slow.ts", "run"]);
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (t: string) => (stdout += t));
    child.stderr!.setEncoding("utf8").on("data", (t: string) => (stderr += t));
    const closed = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on("close", (code, signal) => resolve({ code, signal })),
    );
    const deadline = Date.now() + 60_000;
    while ([...stdout.matchAll(/\] child (\d+)$/gm)].length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const children = [...stdout.matchAll(/\] child (\d+)$/gm)].map((m) => Number(m[1]));
    expect(children).toHaveLength(2);
    return { child, children, closed, output: () => ({ stdout, stderr }) };
  }

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} interrupts the tasks, kills process steps' children and records the run killed`, async () => {
      project.write("slow.ts", SLOW);
      const run = await startSlow();
      run.child.kill(signal);
      const { code } = await run.closed;
      const { stdout, stderr } = run.output();
      expect(code).toBe(signal === "SIGTERM" ? 143 : 130);
      expect(stderr).toContain(`${signal}: stopping the run's tasks`);
      expect(stdout).toContain("Workflow failed.");
      expect(taskLines(stdout).filter((l) => l.text.startsWith("TaskInterruptedError"))).toHaveLength(2);
      for (const pid of run.children) expect(alive(pid)).toBe(false);
      const recorded = project.flow("SlowFlow").runs.find((r) => r.id === runIdOf(stdout))!;
      expect(recorded.status).toBe("killed");
      expect(recorded.finished).toBe(true);
      expect(recorded.successful).toBe(false);
      expect(recorded.record.killedBy).toBe(signal);
      const runs = await project.run(["runs", "SlowFlow"]);
      expect(runs.stdout).toMatch(new RegExp(`SlowFlow/${recorded.id} +killed`));
    });
  }

  it("a run whose steplab was killed with SIGKILL reads as killed, not running", async () => {
    project.write("slow.ts", SLOW);
    const run = await startSlow();
    const runId = runIdOf(run.output().stdout);
    run.child.kill("SIGKILL");
    await run.closed;
    const runs = await project.run(["runs", "SlowFlow"]);
    expect(runs.stdout).toMatch(new RegExp(`SlowFlow/${runId} +killed`));
    const recorded = project.flow("SlowFlow").runs.find((r) => r.id === runId)!;
    expect(recorded.status).toBe("killed");
    expect(recorded.finished).toBe(true);
    // The children went with it.
    const deadline = Date.now() + 5000;
    while (run.children.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(run.children.filter(alive)).toEqual([]);
  });

  it("a run whose pid now belongs to a process started after the run reads as killed (pid reuse)", async () => {
    const store = project.openStore();
    // A process that started just now, holding a pid an old run might have recorded.
    const newcomer = spawn("sleep", ["30"]);
    await new Promise((resolve) => newcomer.once("spawn", resolve));
    try {
      const host = hostname();
      const old = { flow: "ReusedFlow", status: "running" as const, tags: [], parameters: {}, pid: newcomer.pid, host };
      await store.putRun({ ...old, runId: store.newRunId(), createdAt: Date.now() - 60_000 });
      await store.putRun({ ...old, runId: store.newRunId(), createdAt: Date.now() + 5_000 });
      const [owned, reused] = project.flow("ReusedFlow").runs;
      expect(owned!.status).toBe("running");
      expect(reused!.status).toBe("killed");
    } finally {
      newcomer.kill("SIGKILL");
    }
  });
});

describe("one task's stray rejection", () => {
  it("does not fail the next task run in the same isolate: it is reported in its own task's log", async () => {
    project.write(
      "stray.ts",
      `${HEADER}import * as steplab from "steplab";
export class StrayFlow extends FlowSpec {
  declare items: number[];
  // check refuses prompt() by name in a flow file; reached through the namespace it still rejects at run time.
  @step start() { void steplab.prompt("nobody will answer"); this.items = [1, 2, 3]; this.next(this.each, { foreach: "items" }); }
  @step each() { this.next(this.join); }
  @step join(inputs: unknown[]) { this.next(this.end); }
  @step end() {}
}
`,
    );
    const result = await project.run(["stray.ts", "run", "--max-workers", "1"]);
    expect(result.stdout).toContain("Done!");
    expect(result.code).toBe(0);
    const run = project.flow("StrayFlow").latestRun!;
    expect(run.successful).toBe(true);
    expect(run.step("start").task.stderr).toContain("Unhandled promise rejection: Error: prompt() needs a front end");
    for (const task of run.step("each").tasks) expect(task.stderr).toBe("");
  });
});

describe("the command line's edges", () => {
  it("logs … | head ends quietly when the reader closes the pipe", async () => {
    project.write(
      "chatty.ts",
      `${HEADER}export class ChattyFlow extends FlowSpec {
  @step start() { for (let i = 0; i < 50000; i++) console.log("line", i); this.next(this.end); }
  @step end() {}
}
`,
    );
    const ran = await project.run(["chatty.ts", "run"]);
    const runId = runIdOf(ran.stdout);
    // The shell connects the two processes directly, as a user's pipeline does.
    const pipeline = `"${process.execPath}" --no-node-snapshot "${BIN}" chatty.ts logs ${runId}/start | head -n 2; echo "logs exited $\{PIPESTATUS[0]}" >&2`;
    const result = await new Promise<{ code: number | null; stderr: string; head: string }>((resolve) => {
      const shell = spawn("bash", ["-c", pipeline], { cwd: project.dir, env: project.env(), stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      let head = "";
      shell.stderr!.setEncoding("utf8").on("data", (t: string) => (stderr += t));
      shell.stdout!.setEncoding("utf8").on("data", (t: string) => (head += t));
      shell.on("close", () => resolve({ code: Number(/logs exited (\d+)/.exec(stderr)?.[1]), stderr, head }));
    });
    expect(result.head).toBe("line 0\nline 1\n");
    expect(result.stderr).not.toMatch(/EPIPE|Error/);
    expect(result.code).toBe(0);
  });

  it("--n 1e999 is a usage error: not a finite number", async () => {
    project.write(
      "num.ts",
      `import { FlowSpec, step, Parameter } from "steplab";
export class NumFlow extends FlowSpec {
  n = Parameter("n", { default: 1 });
  @step start() { this.next(this.end); }
  @step end() {}
}
`,
    );
    const result = await project.run(["num.ts", "run", "--n", "1e999"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Invalid value for '--n': '1e999' is not a finite number");
    expect(result.stdout).not.toContain("Workflow starting");
  });
});
