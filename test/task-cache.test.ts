/**
 * `run --cache` through the CLI (cli/main, in this process) against a real LMDB store: which edits
 * make a task run again and which leave it reused, early cut-off, and the steps that opt out. A
 * flow is edited the way a user edits it, between runs. (test/task-cache-executors.test.ts runs
 * the same cache through the queue executor.)
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { main } from "../cli/main.js";
import { Run } from "../runtime/client/index.js";
import { openStore, storeReader, type Store } from "../store/index.js";

const dirs: string[] = [];
const stores: Store[] = [];
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const FLOW = `import { FlowSpec, step, Parameter, type Inputs } from "steplab";
import { label } from "./helpers";
import { triple } from "tiny-math";

export class CacheFlow extends FlowSpec {
  declare items: number[];
  declare value: number;
  declare total: number;
  declare note: string;
  size = Parameter("size", { default: 3 });

  @step start() {
    // the items
    this.items = Array.from({ length: this.size }, (_, i) => triple(i));
    this.next(this.work, { foreach: "items" });
  }

  @step work() {
    this.value = (this.input as number) + 1;
    this.next(this.join);
  }

  @step join(inputs: Inputs<CacheFlow>) {
    this.total = inputs.reduce((sum, i) => sum + i.value, 0);
    this.next(this.end);
  }

  @step end() {
    this.note = label(this.total);
    console.log(this.note);
  }
}
`;

let dir: string;
let mtime = 1_700_000_000;

function write(name: string, text: string): void {
  const file = join(dir, name);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  // Each edit gets an mtime of its own: the bundle cache compares mtime and size.
  mtime += 10;
  utimesSync(file, mtime, mtime);
}

function edit(name: string, from: string, to: string): void {
  const text = readFileSync(join(dir, name), "utf8");
  if (!text.includes(from)) throw new Error(`'${from}' is not in ${name}`);
  write(name, text.replace(from, to));
}

function tinyMath(version: string, body: string): void {
  write("node_modules/tiny-math/package.json", JSON.stringify({ name: "tiny-math", version, main: "index.js" }));
  write("node_modules/tiny-math/index.js", body);
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  runId: string;
  /** Steps that ran, with how many tasks each. */
  ran: Record<string, number>;
  /** Steps reused, with how many tasks each. */
  reused: Record<string, number>;
}

function count(stdout: string, text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of stdout.matchAll(/\[\d+\/(\w+)\/\d+ \(pid \d+\)\] (.*)/g)) if (m[2]!.startsWith(text)) out[m[1]!] = (out[m[1]!] ?? 0) + 1;
  return out;
}

async function steplab(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  const out = { stdout: "", stderr: "" };
  const code = await main(args, {
    stdout: (s) => void (out.stdout += s),
    stderr: (s) => void (out.stderr += s),
    env: { ...process.env, STEPLAB_DATASTORE: join(dir, ".steplab"), NO_COLOR: "1", STEPLAB_CACHE: "", ...env },
    cwd: dir,
    isTTY: false,
  });
  const runId = /Workflow starting \(run-id (\d+)\)/.exec(out.stdout)?.[1] ?? "";
  return { code, ...out, runId, ran: count(out.stdout, "Task is starting"), reused: count(out.stdout, "Reused results of task") };
}

const run = (...args: string[]) => steplab(["flow.ts", "run", ...args]);

function store(): Store {
  const s = openStore(join(dir, ".steplab"));
  stores.push(s);
  return s;
}

const ALL = { start: 1, work: 3, join: 1, end: 1 };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "steplab-cache-"));
  dirs.push(dir);
  write("flow.ts", FLOW);
  write("helpers.ts", 'export function label(total: number): string {\n  return "total " + String(total);\n}\n');
  tinyMath("1.0.0", "exports.triple = (n) => n * 3;\n");
});

describe("run --cache", () => {
  it("reuses every task of an unchanged flow, with a plain run's task ids; a plain run never reuses", async () => {
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    expect(first.ran).toEqual(ALL);
    const plain = await run();
    expect(plain.ran).toEqual(ALL);
    expect(plain.reused).toEqual({});

    const cached = await run("--cache");
    expect(cached.code, cached.stderr).toBe(0);
    expect(cached.ran).toEqual({});
    expect(cached.reused).toEqual(ALL);
    expect(cached.stdout).toContain(`Reused results of task CacheFlow/${plain.runId}/start/1`);

    const s = store();
    const ids = (runId: string) => s.listRunTasks("CacheFlow", runId).map((t) => `${t.step}/${t.taskId}`);
    expect(ids(cached.runId)).toEqual(ids(first.runId));
    const reader = storeReader(s);
    const reusedRun = Run(`CacheFlow/${cached.runId}`, reader);
    expect(reusedRun.successful).toBe(true);
    expect(reusedRun.data!.note).toBe("total 12");
    const end = reusedRun.step("end").task;
    expect(end.reusedFrom).toBe(`CacheFlow/${plain.runId}/end/6`);
    expect(end.stdout).toBe("total 12\n");
    expect(end.artifacts.map((a) => a.sha)).toEqual(
      Run(`CacheFlow/${plain.runId}`, reader)
        .step("end")
        .task.artifacts.map((a) => a.sha),
    );
    expect(Run(`CacheFlow/${plain.runId}`, reader).step("end").task.reusedFrom).toBeUndefined();

    const dump = await steplab(["flow.ts", "dump", `${cached.runId}/end/6`, "--private"]);
    expect(dump.stdout).toContain(`_reused_from = 'CacheFlow/${plain.runId}/end/6'`);
  });

  it("keeps every task through a comment-only change", async () => {
    await run();
    edit("flow.ts", "// the items", "// the items, tripled by tiny-math");
    const again = await run("--cache");
    expect(again.ran).toEqual({});
    expect(again.reused).toEqual(ALL);
  });

  it("re-runs only the step whose code changed", async () => {
    await run();
    edit("flow.ts", "console.log(this.note);", 'console.log("note:", this.note);');
    const again = await run("--cache");
    expect(again.ran).toEqual({ end: 1 });
    expect(again.reused).toEqual({ start: 1, work: 3, join: 1 });
    expect(again.stdout).toContain("note: total 12");
  });

  it("re-runs the steps that call a changed helper of an imported file", async () => {
    await run();
    edit("helpers.ts", '"total "', '"sum "');
    const again = await run("--cache");
    expect(again.ran).toEqual({ end: 1 });
    expect(again.stdout).toContain("sum 12");
  });

  it("re-runs the steps that use a package whose new version changes its code, and no further than the artifacts changed", async () => {
    await run();
    tinyMath("1.1.0", "exports.triple = (n) => n + n + n;\n");
    const same = await run("--cache");
    expect(same.ran).toEqual({ start: 1 });
    expect(same.reused).toEqual({ work: 3, join: 1, end: 1 });

    tinyMath("2.0.0", "exports.triple = (n) => n * 4;\n");
    const different = await run("--cache");
    expect(different.ran).toEqual(ALL);
    expect(different.stdout).toContain("total 15");
  });

  it("re-runs for other parameter values, and reuses each value's tasks later", async () => {
    await run();
    const four = await run("--cache", "--size", "4");
    expect(four.ran).toEqual({ start: 1, work: 4, join: 1, end: 1 });
    const three = await run("--cache", "--size", "3");
    expect(three.reused).toEqual(ALL);
    const fourAgain = await run("--cache", "--size", "4");
    expect(fourAgain.reused).toEqual({ start: 1, work: 4, join: 1, end: 1 });
  });

  it("reuses each foreach task for its own item, and re-runs them when their input changes", async () => {
    const first = await run();
    const again = await run("--cache");
    const s = store();
    for (const task of s.listTasks("CacheFlow", again.runId, "work")) {
      const [, , , taskId] = task.reusedFrom!.split("/");
      const source = s.getTask("CacheFlow", first.runId, "work", taskId!)!;
      expect(source.stack.at(-1)!.index).toBe(task.stack.at(-1)!.index);
      expect(source.artifacts.value!.sha).toBe(task.artifacts.value!.sha);
    }
    edit("flow.ts", "(_, i) => triple(i)", "(_, i) => triple(this.size - 1 - i)");
    const reversed = await run("--cache");
    // The same values in another order: the join's inputs changed (they hold the list), its total did not.
    expect(reversed.ran).toEqual({ start: 1, work: 3, join: 1 });
    expect(reversed.reused).toEqual({ end: 1 });
  });

  it("re-runs foreach tasks whose parent now splits over another list of the same artifacts", async () => {
    write(
      "flow.ts",
      `import { FlowSpec, step, type Inputs } from "steplab";
export class SplitFlow extends FlowSpec {
  declare small: number[];
  declare large: number[];
  declare value: number;
  declare values: number[];
  @step start() {
    this.small = [1, 2];
    this.large = [30, 40];
    this.next(this.each, { foreach: "small" });
  }
  @step each() {
    this.value = this.input as number;
    this.next(this.join);
  }
  @step join(inputs: Inputs<SplitFlow>) {
    this.values = inputs.map((i) => i.value);
    this.next(this.end);
  }
  @step end() {}
}
`,
    );
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    edit("flow.ts", 'foreach: "small"', 'foreach: "large"');
    const again = await run("--cache");
    expect(again.code, again.stderr).toBe(0);
    // start re-ran with the same artifacts, but each item is another value: nothing after it is reused.
    expect(again.ran).toEqual({ start: 1, each: 2, join: 1, end: 1 });
    const values = Run(`SplitFlow/${again.runId}`, storeReader(store())).step("join").task.data.values;
    expect(values).toEqual([30, 40]);
  });

  it("re-runs a step whose options changed", async () => {
    await run();
    edit("flow.ts", "@step join(", "@step({ retries: 1 }) join(");
    const again = await run("--cache");
    expect(again.ran).toEqual({ join: 1 });
    expect(again.reused).toEqual({ start: 1, work: 3, end: 1 });
  });

  it("leaves the children of a step that re-ran with the same artifacts reused (early cut-off)", async () => {
    await run();
    edit("flow.ts", "this.value = (this.input as number) + 1;", "this.value = 1 + (this.input as number);");
    const again = await run("--cache");
    expect(again.ran).toEqual({ work: 3 });
    expect(again.reused).toEqual({ start: 1, join: 1, end: 1 });
  });

  it("never reuses a step with cache: false", async () => {
    edit("flow.ts", "@step work()", "@step({ cache: false }) work()");
    await run();
    const again = await run("--cache");
    expect(again.ran).toEqual({ work: 3 });
    expect(again.reused).toEqual({ start: 1, join: 1, end: 1 });
  });

  it('is on with STEPLAB_CACHE=1 or "cache": true in steplab.config.json, off with --cache false', async () => {
    await run();
    expect((await steplab(["flow.ts", "run"], { STEPLAB_CACHE: "1" })).reused).toEqual(ALL);
    write("steplab.config.json", JSON.stringify({ cache: true }));
    expect((await run()).reused).toEqual(ALL);
    const off = await run("--cache", "false");
    expect(off.ran).toEqual(ALL);
    expect(off.reused).toEqual({});
    const bad = await steplab(["flow.ts", "run"], { STEPLAB_CACHE: "maybe" });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Invalid value for STEPLAB_CACHE: 'maybe'");
  });
});

describe("run --cache and steps that may not be reusable", () => {
  it("reuses a process step only with cache: true", async () => {
    write(
      "flow.ts",
      `import { FlowSpec, step } from "steplab";
import { createHash } from "node:crypto";

export class ProcessCacheFlow extends FlowSpec {
  declare text: string;
  declare hash: string;
  @step start() {
    this.text = "hello";
    this.next(this.hash_it);
  }
  @step({ isolation: "process" }) hash_it() {
    this.hash = createHash("sha256").update(this.text).digest("hex");
    this.next(this.end);
  }
  @step end() {
    console.log(this.hash.slice(0, 8));
  }
}
`,
    );
    await run();
    const again = await run("--cache");
    expect(again.ran).toEqual({ hash_it: 1 });
    expect(again.reused).toEqual({ start: 1, end: 1 });

    edit("flow.ts", '@step({ isolation: "process" })', '@step({ isolation: "process", cache: true })');
    await run("--cache");
    const declared = await run("--cache");
    expect(declared.ran).toEqual({});
    expect(declared.reused).toEqual({ start: 1, hash_it: 1, end: 1 });
  });

  it("reuses a task that read other runs through the client API only with cache: true", async () => {
    write(
      "flow.ts",
      `import { FlowSpec, step, Flow } from "steplab";

export class ReaderFlow extends FlowSpec {
  declare runs: number;
  @step start() {
    this.next(this.count_runs);
  }
  @step count_runs() {
    this.runs = Flow("ReaderFlow").runs.length;
    this.next(this.end);
  }
  @step end() {
    console.log("runs before this one", this.runs - 1);
  }
}
`,
    );
    const first = await run();
    expect(store().listTasks("ReaderFlow", first.runId, "count_runs")[0]).toMatchObject({ clientRead: true });
    expect(store().listTasks("ReaderFlow", first.runId, "start")[0]!.clientRead).toBeUndefined();
    const again = await run("--cache");
    expect(again.ran).toEqual({ count_runs: 1, end: 1 });
    expect(again.stdout).toContain("runs before this one 1");

    edit("flow.ts", "@step count_runs()", "@step({ cache: true }) count_runs()");
    await run("--cache");
    const declared = await run("--cache");
    expect(declared.reused).toEqual({ start: 1, count_runs: 1, end: 1 });
  });

  it("runs a failed task or a caught exception again", async () => {
    write(
      "flow.ts",
      `import { FlowSpec, step } from "steplab";

export class FlakyFlow extends FlowSpec {
  declare failure: unknown;
  @step start() {
    this.next(this.risky);
  }
  @step({ catch: "failure" }) risky() {
    throw new Error("not today");
    this.next(this.end);
  }
  @step end() {
    throw new Error("end fails");
  }
}
`,
    );
    const first = await run();
    expect(first.code).toBe(1);
    const again = await run("--cache");
    expect(again.ran).toEqual({ risky: 1, end: 1 });
    expect(again.reused).toEqual({ start: 1 });
  });
});
