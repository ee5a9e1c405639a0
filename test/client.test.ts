/**
 * The client API (SPEC §3) over runs made through the CLI, in the three places it is used: this
 * process (objects over a store reader), a plain Node script importing the package entry (dist/,
 * default datastore = the nearest .steplab/), and inside steps of another flow (an isolate step
 * through the host bridge, and a process step).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.js";
import { DataArtifact, Flow, Run, Step, Steplab, Task, type StoreReader } from "../runtime/client/index.js";
import { storeReader } from "../store/index.js";
import { NotFoundError } from "../errors/index.js";
import { openStore, type Store } from "../store/index.js";

const repo = resolve(import.meta.dirname, "..");

const SQUARES = `
import { FlowSpec, step, Parameter, type Inputs } from "steplab";

export class SquaresFlow extends FlowSpec {
  declare items: number[];
  declare squared: number;
  declare total: number;
  scale = Parameter("scale", { help: "Multiplies the total", default: 1 });

  @step start() {
    this.items = [1, 2, 3, 4];
    this.next(this.square, { foreach: "items" });
  }

  @step square() {
    console.log("squaring", this.input);
    console.error("a warning about", this.input);
    this.squared = (this.input as number) ** 2;
    this.next(this.join);
  }

  @step join(inputs: Inputs<SquaresFlow>) {
    this.total = inputs.reduce((sum, i) => sum + i.squared, 0) * this.scale;
    this.next(this.end);
  }

  @step end() {
    console.log("total", this.total);
  }
}
`;

const READER = `
import { FlowSpec, step, Flow, Run } from "steplab";

/** Reads another flow's artifacts through the client API, inside its steps. */
export class ReaderFlow extends FlowSpec {
  declare total: number;
  declare run_count: number;
  declare step_names: string[];
  declare indexes: number[];
  declare missing: string;
  declare process_total: number;

  @step start() {
    const flow = Flow("SquaresFlow");
    const run = flow.latestSuccessfulRun!;
    this.total = run.data!.total;
    this.run_count = flow.runs.length;
    this.step_names = [...run].map((s) => s.id);
    this.indexes = [...run.step("square")].map((t) => t.index!);
    try {
      Run("SquaresFlow/1");
    } catch (err) {
      this.missing = (err as Error).name + ": " + (err as Error).message;
    }
    this.next(this.in_process);
  }

  @step({ isolation: "process" })
  in_process() {
    this.process_total = Flow("SquaresFlow").latestSuccessfulRun!.get("join").task.data.total;
    this.next(this.end);
  }

  @step end() {}
}
`;

const SCRIPT = `
import { Flow, Run, Step, Task, Steplab } from "steplab";

const flow = Flow("SquaresFlow");
const run = flow.latestSuccessfulRun;
const task = run.step("square").tasks[2];
let missing;
try { Task(run.pathspec + "/square/999"); } catch (err) { missing = err.name + ": " + err.message; }
console.log(JSON.stringify({
  flows: Steplab().flows.map((f) => f.name),
  runs: flow.runs.map((r) => r.id),
  latest: flow.latestRun.id,
  successful: run.successful,
  tags: run.tags,
  parameters: run.parameters,
  steps: [...run].map((s) => s.id),
  total: Run(run.pathspec).data.total,
  squared: task.data.squared,
  index: task.index,
  stdout: task.stdout,
  artifacts: task.artifacts.map((a) => a.name),
  stepTask: Step(run.pathspec + "/start").task.pathspec,
  missing,
}));
`;

let dir: string;
let goodId: string;
let badId: string;
let store: Store;
let reader: StoreReader;

async function steplab(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: "", stderr: "" };
  const io = {
    stdout: (s: string) => void (out.stdout += s),
    stderr: (s: string) => void (out.stderr += s),
    env: { ...process.env, STEPLAB_DATASTORE: join(dir, ".steplab"), NO_COLOR: "1" },
    cwd: dir,
    isTTY: false,
  };
  return { code: await main(args, io), ...out };
}

const runId = (stdout: string) => /run-id (\d+)/.exec(stdout)![1]!;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "steplab-client-"));
  const file = join(dir, "squares.ts");
  writeFileSync(file, SQUARES);
  const good = await steplab(file, "run", "--scale", "2", "--tag", "nightly");
  expect(good.code).toBe(0);
  goodId = runId(good.stdout);
  writeFileSync(
    file,
    SQUARES.replace("this.squared = ", 'if (this.input === 4) throw new RangeError("four is too many");\n    this.squared = '),
  );
  const bad = await steplab(file, "run");
  expect(bad.code).toBe(1);
  badId = runId(bad.stdout);
  store = openStore(join(dir, ".steplab"));
  reader = storeReader(store);
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("client objects over the store", () => {
  it("Steplab().flows and Flow: runs newest first, latestRun, latestSuccessfulRun, tags", () => {
    expect(Steplab(reader).flows.map((f) => f.name)).toContain("SquaresFlow");
    const flow = Flow("SquaresFlow", reader);
    expect(flow.runs.map((r) => r.id)).toEqual([badId, goodId]);
    expect([...flow].map((r) => r.id)).toEqual([badId, goodId]);
    expect(flow.latestRun!.id).toBe(badId);
    expect(flow.latestSuccessfulRun!.id).toBe(goodId);
    expect(flow.runsTagged("nightly").map((r) => r.id)).toEqual([goodId]);
    expect(flow.pathspec).toBe("SquaresFlow");
  });

  it("Run: status, tags, parameters, times, iteration over steps, step(name)/get(name), data", () => {
    const run = Run(`SquaresFlow/${goodId}`, reader);
    expect(run.pathspec).toBe(`SquaresFlow/${goodId}`);
    expect(run.id).toBe(goodId);
    expect(run.successful).toBe(true);
    expect(run.finished).toBe(true);
    expect(run.tags).toContain("nightly");
    expect(run.tags.some((t) => t.startsWith("user:"))).toBe(true);
    expect(run.parameters).toEqual({ scale: 2 });
    expect(run.createdAt).toBeInstanceOf(Date);
    expect(run.finishedAt!.getTime()).toBeGreaterThanOrEqual(run.createdAt.getTime());
    expect([...run].map((s) => s.id)).toEqual(["start", "square", "join", "end"]);
    expect(run.step("join").pathspec).toBe(run.get("join").pathspec);
    expect(run.has("join")).toBe(true);
    expect(run.data!.total).toBe(60);
    expect(run.endTask!.pathspec).toBe(`SquaresFlow/${goodId}/end/7`);
    expect(run.originPathspec).toBeUndefined();

    const failed = Run(`SquaresFlow/${badId}`, reader);
    expect(failed.successful).toBe(false);
    expect(failed.finished).toBe(true);
    expect(failed.parameters).toEqual({ scale: 1 });
    expect(failed.has("end")).toBe(false);
    expect(failed.data).toBeUndefined();
  });

  it("Step iterates its tasks; Task has index, data, artifacts, logs, status and times", () => {
    const step = Step(`SquaresFlow/${goodId}/square`, reader);
    const tasks = [...step];
    expect(tasks.map((t) => t.index)).toEqual([0, 1, 2, 3]);
    expect(tasks.map((t) => t.data.squared)).toEqual([1, 4, 9, 16]);
    const task = tasks[1]!;
    expect(task.pathspec).toBe(`SquaresFlow/${goodId}/square/3`);
    expect(task.id).toBe("3");
    expect(task.successful).toBe(true);
    expect(task.finished).toBe(true);
    expect(task.exception).toBeUndefined();
    expect(task.stdout).toBe("squaring 2\n");
    expect(task.stderr).toBe("a warning about 2\n");
    expect(task.createdAt.getTime()).toBeLessThanOrEqual(task.finishedAt!.getTime());
    expect(Task(task.pathspec, reader).data.squared).toBe(4);
    expect(Step(`SquaresFlow/${goodId}/start`, reader).task.index).toBeUndefined();

    const artifacts = task.artifacts;
    expect(artifacts.every((a) => a instanceof DataArtifact)).toBe(true);
    expect(artifacts.map((a) => a.name)).toEqual(["items", "scale", "squared"]);
    const squared = artifacts.find((a) => a.name === "squared")!;
    expect(squared.sha).toMatch(/^[0-9a-f]{64}$/);
    expect(squared.size).toBeGreaterThan(0);
    expect(squared.type).toBe("number");
    expect(squared.data).toBe(4);
    expect(squared.pathspec).toBe(`${task.pathspec}/squared`);
    expect("squared" in task.data).toBe(true);
    expect(Object.keys(task.data).sort()).toEqual(["items", "scale", "squared"]);
  });

  it("task.data loads only the artifacts read, once each", () => {
    let loads = 0;
    const counting: StoreReader = { ...reader, loadBlob: (sha) => (loads++, reader.loadBlob(sha)) };
    const task = Run(`SquaresFlow/${goodId}`, counting).step("join").task;
    expect(loads).toBe(0);
    expect(task.data.total).toBe(60);
    expect(loads).toBe(1);
    expect(task.data.total).toBe(60);
    expect(loads).toBe(1);
  });

  it("a failed task carries its exception; its finished siblings are readable", () => {
    const tasks = Run(`SquaresFlow/${badId}`, reader).step("square").tasks;
    const failed = tasks.find((t) => !t.successful)!;
    expect(failed.index).toBe(3);
    expect(failed.finished).toBe(true);
    expect(failed.exception).toMatchObject({ name: "RangeError", message: "four is too many" });
    expect(failed.exception!.stack).toContain("squares.ts");
    expect(failed.stdout).toBe("squaring 4\n");
    expect(
      tasks
        .filter((t) => t.successful)
        .map((t) => t.data.squared)
        .sort(),
    ).toEqual([1, 4, 9]);
  });

  it("a missing pathspec raises NotFoundError naming what exists", () => {
    const raised = (fn: () => unknown): Error => {
      try {
        fn();
      } catch (err) {
        return err as Error;
      }
      throw new Error("nothing was raised");
    };
    const flow = raised(() => Flow("SquareFlow", reader));
    expect(flow).toBeInstanceOf(NotFoundError);
    expect(flow.name).toBe("NotFoundError");
    expect(flow.message).toMatch(/Flow 'SquareFlow' does not exist\. Existing flows: .*SquaresFlow/);
    expect(raised(() => Run("SquaresFlow/1", reader)).message).toContain(
      `Existing runs of SquaresFlow (newest first): ${badId}, ${goodId}`,
    );
    expect(raised(() => Run("NoFlow/1", reader)).message).toContain("Flow 'NoFlow' does not exist");
    expect(raised(() => Step(`SquaresFlow/${goodId}/sqare`, reader)).message).toContain("start, square, join, end");
    expect(raised(() => Task(`SquaresFlow/${goodId}/square/99`, reader)).message).toContain("Existing tasks of");
    expect(raised(() => Task(`SquaresFlow/${goodId}/nope/1`, reader)).message).toContain(
      `Step 'SquaresFlow/${goodId}/nope' does not exist`,
    );
    expect(raised(() => Run(`SquaresFlow/${goodId}`, reader).step("join").task.data.totl).message).toMatch(
      /has no artifact 'totl'\. Existing artifacts: .*total/,
    );
    expect(raised(() => Run("SquaresFlow", reader)).message).toContain("write it as Flow/run");
  });
});

describe("the client API in a Node script importing the package", () => {
  it("reads the nearest .steplab/ through dist/", () => {
    mkdirSync(join(dir, "node_modules"), { recursive: true });
    symlinkSync(repo, join(dir, "node_modules", "steplab"), "dir");
    writeFileSync(join(dir, "explore.mjs"), SCRIPT);
    const env = { ...process.env };
    delete env.STEPLAB_DATASTORE;
    const out = execFileSync(process.execPath, ["explore.mjs"], { cwd: dir, env, encoding: "utf8" });
    const seen = JSON.parse(out);
    expect(seen).toMatchObject({
      runs: [badId, goodId],
      latest: badId,
      successful: true,
      parameters: { scale: 2 },
      steps: ["start", "square", "join", "end"],
      total: 60,
      squared: 9,
      index: 2,
      stdout: "squaring 3\n",
      artifacts: ["items", "scale", "squared"],
      stepTask: `SquaresFlow/${goodId}/start/1`,
    });
    expect(seen.flows).toContain("SquaresFlow");
    expect(seen.tags).toContain("nightly");
    expect(seen.missing).toMatch(/^NotFoundError: Task '.*\/square\/999' does not exist\. Existing tasks of .*: 2, 3, 4, 5/);
  });
});

describe("the client API inside steps", () => {
  it("an isolate step and a process step read another flow's artifacts", async () => {
    const file = join(dir, "reader.ts");
    writeFileSync(file, READER);
    const result = await steplab(file, "run");
    expect(result.stdout + result.stderr).toContain("Done!");
    expect(result.code).toBe(0);
    const task = Run(`ReaderFlow/${runId(result.stdout)}`, reader).step("end").task;
    expect(task.data.total).toBe(60);
    expect(task.data.run_count).toBe(2);
    expect(task.data.step_names).toEqual(["start", "square", "join", "end"]);
    expect(task.data.indexes).toEqual([0, 1, 2, 3]);
    expect(task.data.missing).toMatch(/^NotFoundError: Run 'SquaresFlow\/1' does not exist\. Existing runs of SquaresFlow/);
    expect(task.data.process_total).toBe(60);
  });
});
