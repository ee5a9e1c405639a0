/**
 * `spin` against a real LMDB store: the command (cli/main in this process) on past tasks of a
 * foreach flow — a foreach item, a join, a failed task fixed in the file, a process step, with
 * artifacts overridden and with --persist — and `spin()` from a vitest test of a user's own
 * project that installed steplab (the real package build, a separate vitest process).
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path, { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.js";
import { Flow } from "../runtime/client/index.js";
import { openStore, storeReader, type Store } from "../store/index.js";
import { BIN, ROOT } from "./helpers/cli.js";

const FLOW = `import { FlowSpec, step, Parameter, type Inputs } from "steplab";

export class SpinFlow extends FlowSpec {
  declare items: number[];
  declare factor: number;
  declare value: number;
  declare total: number;
  base = Parameter("base", { default: 100 });

  @step start() {
    this.items = [1, 2, 3];
    this.factor = 2;
    this.next(this.work, { foreach: "items" });
  }

  @step work() {
    if (this.input === 3) throw new Error("three is broken");
    this.value = (this.input as number) * this.factor;
    console.log("item", this.input, "index", this.index, "value", this.value);
    this.next(this.join);
  }

  @step join(inputs: Inputs<SpinFlow>) {
    this.total = this.base + inputs.reduce((sum, i) => sum + i.value, 0);
    this.next(this.end);
  }

  @step end() {
    console.log("total", this.total);
  }
}
`;

const dirs: string[] = [];
let dir: string;
let store: Store;

async function steplab(...args: string[]) {
  const out = { stdout: "", stderr: "" };
  const code = await main(args, {
    stdout: (s) => void (out.stdout += s),
    stderr: (s) => void (out.stderr += s),
    env: { ...process.env, STEPLAB_DATASTORE: join(dir, ".steplab"), NO_COLOR: "1" },
    cwd: dir,
    isTTY: false,
  });
  return { code, ...out };
}

function edit(from: string, to: string): void {
  const file = join(dir, "flow.ts");
  const text = readFileSync(file, "utf8");
  if (!text.includes(from)) throw new Error(`'${from}' is not in flow.ts`);
  writeFileSync(file, text.replace(from, to));
}

const runIds = () => store.listRuns("SpinFlow").map((r) => r.runId);
let failedRun: string;
let goodRun: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "steplab-spin-"));
  dirs.push(dir);
  writeFileSync(join(dir, "flow.ts"), FLOW);
  const failed = await steplab("flow.ts", "run");
  expect(failed.code).toBe(1);
  failedRun = /run-id (\d+)/.exec(failed.stdout)![1]!;
  edit("[1, 2, 3]", "[1, 2, 4]");
  const good = await steplab("flow.ts", "run");
  expect(good.code, good.stderr).toBe(0);
  goodRun = /run-id (\d+)/.exec(good.stdout)![1]!;
  store = openStore(join(dir, ".steplab"));
});

afterAll(async () => {
  await store?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("steplab FLOW.ts spin", () => {
  it("runs a step on its first task's inputs in the latest successful run, with the code as it is now, and records nothing", async () => {
    edit("(this.input as number) * this.factor", "(this.input as number) * this.factor + 0.5");
    const before = runIds();
    const r = await steplab("flow.ts", "spin", "work");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`spinning SpinFlow step work on the inputs of SpinFlow/${goodRun}/work/2`);
    expect(r.stdout).toContain("item 1 index 0 value 2.5");
    expect(r.stdout).toContain("Task finished successfully.");
    expect(r.stdout).toContain("value [size: ");
    expect(r.stdout).toMatch(/value \[size: \d+ type: number\] = 2\.5/);
    expect(r.stderr).toContain("Nothing was recorded");
    expect(runIds()).toEqual(before);
    edit("(this.input as number) * this.factor + 0.5", "(this.input as number) * this.factor");
  });

  it("takes a named task's inputs: a foreach item, or every input of a join", async () => {
    const item = await steplab("flow.ts", "spin", `${goodRun}/work/4`);
    expect(item.code, item.stderr).toBe(0);
    expect(item.stdout).toContain("item 4 index 2 value 8");
    const join = await steplab("flow.ts", "spin", `SpinFlow/${goodRun}/join/5`);
    expect(join.stdout).toMatch(/total \[size: \d+ type: number\] = 114/);
  });

  it("re-runs a failed task on its exact inputs: failing as it did, then passing once the code is fixed", async () => {
    const failedTask = store.listTasks("SpinFlow", failedRun, "work").find((t) => t.status === "failed")!;
    const path = `${failedRun}/work/${failedTask.taskId}`;
    const still = await steplab("flow.ts", "spin", path);
    expect(still.code).toBe(1);
    expect(still.stdout).toContain("Error: three is broken");
    expect(still.stdout).toContain("Task failed.");
    edit('if (this.input === 3) throw new Error("three is broken");', "");
    const fixed = await steplab("flow.ts", "spin", path);
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain("item 3 index 2 value 6");
    edit("  @step work() {\n", '  @step work() {\n    if (this.input === 3) throw new Error("three is broken");\n');
  });

  it("runs a process step on its inputs, overridden ones included", async () => {
    writeFileSync(
      join(dir, "proc.ts"),
      `import { FlowSpec, step } from "steplab";
import { createHash } from "node:crypto";

export class ProcFlow extends FlowSpec {
  declare text: string;
  declare hash: string;
  @step start() {
    this.text = "hello";
    this.next(this.hash_it);
  }
  @step({ isolation: "process" }) hash_it() {
    this.hash = createHash("sha256").update(this.text).digest("hex").slice(0, 12);
    console.log("hashed", this.text, "in pid", process.pid);
    this.next(this.end);
  }
  @step end() {}
}
`,
    );
    expect((await steplab("proc.ts", "run")).code).toBe(0);
    writeFileSync(join(dir, "text.json"), JSON.stringify({ text: "other" }));
    const r = await steplab("proc.ts", "spin", "hash_it", "--artifacts", "text.json");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("hashed other in pid");
    expect(r.stdout).toMatch(/hash \[size: \d+ type: string\] = 'd9298a10d1b0'/);
  });

  it("overrides the artifacts a task starts from with --artifacts FILE.json", async () => {
    writeFileSync(join(dir, "factor.json"), JSON.stringify({ factor: 10 }));
    const r = await steplab("flow.ts", "spin", "work", "--artifacts", "factor.json");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("item 1 index 0 value 10");
    expect(r.stdout).toMatch(/factor \[size: \d+ type: number\] = 10/);
    writeFileSync(join(dir, "bad.json"), "[1, 2]");
    const bad = await steplab("flow.ts", "spin", "work", "--artifacts", "bad.json");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("must hold a JSON object of artifacts");
  });

  it("keeps the task in a run tagged spin with --persist, which resume and latestSuccessfulRun pass over", async () => {
    const r = await steplab("flow.ts", "spin", "end", "--persist");
    expect(r.code, r.stderr).toBe(0);
    const [newest] = store.listRuns("SpinFlow");
    expect(newest!.tags).toContain("spin");
    expect(store.listRunTasks("SpinFlow", newest!.runId).map((t) => t.step)).toEqual(["end"]);
    expect(r.stderr).toContain(`Kept in run SpinFlow/${newest!.runId} (tagged spin)`);
    expect(Flow("SpinFlow", storeReader(store)).latestSuccessfulRun!.id).toBe(goodRun);
    const again = await steplab("flow.ts", "spin", "end");
    expect(again.stderr).toContain(`on the inputs of SpinFlow/${goodRun}/end/`);
  });

  it("says what is wrong with a step, a task or a missing run", async () => {
    const unknown = await steplab("flow.ts", "spin", "nope");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("'nope' is not a step of SpinFlow. Steps: start, work, join, end");
    const noTask = await steplab("flow.ts", "spin", `${goodRun}/work/99`);
    expect(noTask.code).toBe(1);
    expect(noTask.stderr).toContain("is not a task (tasks of that step: 2, 3, 4)");
    const noRun = await steplab("flow.ts", "spin", "1/work/2");
    expect(noRun.stderr).toContain("run SpinFlow/1 does not exist");
  });
});

const USER_FLOW = `import { FlowSpec, step, type Inputs } from "steplab";

export class ScaleFlow extends FlowSpec {
  declare items: number[];
  declare factor: number;
  declare scaled: number;

  @step start() {
    this.items = [1, 2];
    this.factor = 2;
    this.next(this.scale, { foreach: "items" });
  }

  @step scale() {
    if (this.factor <= 0) throw new Error("factor must be positive");
    this.scaled = (this.input as number) * this.factor;
    console.log("scaled", this.input, "by", this.factor);
    this.next(this.join);
  }

  @step join(inputs: Inputs<ScaleFlow>) {
    this.scaled = inputs.reduce((sum, i) => sum + i.scaled, 0);
    this.next(this.end);
  }

  @step end() {}
}
`;

const USER_TEST = `import { expect, it } from "vitest";
import { Flow, spin, SpinTaskError } from "steplab";

it("scales one item", async () => {
  const task = await spin("flow.ts", "scale", { artifacts: { factor: 3 } });
  expect(task.data.scaled).toBe(3);
  expect(task.stdout).toContain("scaled 1 by 3");
  expect(Flow("ScaleFlow").runs).toHaveLength(1);
});

it("takes a task of a past run", async () => {
  const [run] = Flow("ScaleFlow").runs;
  const second = run.step("scale").tasks[1];
  const task = await spin("flow.ts", "scale", { from: second.pathspec });
  expect(task.data.scaled).toBe(4);
});

it("rejects with the failed task", async () => {
  const failure = await spin("flow.ts", "scale", { artifacts: { factor: -1 } }).catch((e) => e);
  expect(failure).toBeInstanceOf(SpinTaskError);
  expect(failure.message).toContain("factor must be positive");
  expect(failure.task.successful).toBe(false);
});
`;

describe("spin() in a vitest test of a project that installed steplab", () => {
  it("runs one step of the project's flow and hands back its task", { timeout: 180_000 }, async () => {
    const project = mkdtempSync(join(tmpdir(), "steplab-user-"));
    dirs.push(project);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "my-flows", private: true, type: "module" }));
    writeFileSync(join(project, "flow.ts"), USER_FLOW);
    writeFileSync(join(project, "flow.test.ts"), USER_TEST);
    mkdirSync(join(project, "node_modules"));
    // What `npm install /path/to/steplab` makes: a link to the package (here the build under test).
    symlinkSync(path.dirname(path.dirname(BIN)), join(project, "node_modules", "steplab"), "dir");
    symlinkSync(join(ROOT, "node_modules", "vitest"), join(project, "node_modules", "vitest"), "dir");
    // The user's shell: no datastore setting (the project's .steplab/), no flags for node.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(STEPLAB_|VITEST|NODE_OPTIONS)/.test(k)));
    const exec = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve, reject) => {
        const child = spawn(process.execPath, args, { cwd: project, env: { ...env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.setEncoding("utf8").on("data", (t: string) => (out += t));
        child.stderr.setEncoding("utf8").on("data", (t: string) => (out += t));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, out }));
      });
    const run = await exec([BIN, "flow.ts", "run"]);
    expect(run.code, run.out).toBe(0);
    const tests = await exec([join(ROOT, "node_modules", "vitest", "vitest.mjs"), "run"]);
    expect(tests.out).toMatch(/Tests\s+3 passed/);
    expect(tests.code, tests.out).toBe(0);
  });
});
