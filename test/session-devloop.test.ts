/**
 * The development loop in a notebook session (SPEC §6), in-process against a real LMDB store and
 * real isolates: re-running a cell and %rerun reuse unchanged tasks (their output shown again,
 * marked as reused), %cache off|on, cell options, client reads, %stale's verdicts, and %load of a
 * past task's inputs into scratch cells.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { main } from "../cli/main.js";
import { Flow } from "../runtime/client/index.js";
import { createSession, type CellSink, type MimeBundle, type Session } from "../runtime/session/index.js";
import { storeReader } from "../store/index.js";
import { FLOWS } from "./helpers/cli.js";

interface Captured extends CellSink {
  out: string;
  err: string;
  displays: MimeBundle[];
}

function sink(): Captured {
  const c: Captured = {
    out: "",
    err: "",
    displays: [],
    stdout: (t) => void (c.out += t),
    stderr: (t) => void (c.err += t),
    display: (d) => void c.displays.push(d),
    clearOutput: () => {},
  };
  return c;
}

let dir: string;
let session: Session;

async function open(flowName = "LoopFlow"): Promise<Session> {
  return createSession({ storeRoot: path.join(dir, "store"), cwd: dir, flowName });
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "steplab-devloop-"));
  session = await open();
});

afterEach(async () => {
  await session.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(code: string, cellId?: string) {
  const s = sink();
  const outcome = await session.execute(code, { sink: s, cellId });
  return { ...outcome, s, text: outcome.result?.["text/plain"] };
}

const reader = () => storeReader(session.store);
const tasksOf = (step: string) => Flow("LoopFlow", reader()).latestRun!.step(step).tasks;

const HELLO_FLOW = `import { FlowSpec, step } from "steplab";
export class HelloLoopFlow extends FlowSpec {
  @step start() { this.next(this.end); }
  @step end() {}
}
`;

const START = `//% step start\nconsole.log("start ran");\nself.items = [1, 2, 3];\nself.items.length`;
const SQUARE = `//% step square foreach items\nconsole.log("square", self.input);\nself.sq = self.input * self.input;\nself.sq`;
const TOTAL = `//% step total\nself.total = inputs.reduce((s, i) => s + i.sq, 0);\nself.total`;

describe("re-running a cell reuses its unchanged tasks", () => {
  test("an unchanged cell is reused, its output shown again under 'Reused results of task'", async () => {
    const first = await run(START);
    expect(first.status).toBe("ok");
    expect(first.s.out).toBe("start ran\n");
    expect(first.s.err).toBe("");
    const firstTask = first.taskPathspec!;

    const again = await run(START);
    expect(again.status).toBe("ok");
    expect(again.s.err).toBe(`Reused results of task ${firstTask}\n`);
    expect(again.s.out).toBe("start ran\n");
    expect(again.text).toBe("3");
    // A new task of the run, pointing at the first one's artifacts.
    expect(again.taskPathspec).not.toBe(firstTask);
    const task = tasksOf("start").find((t) => t.pathspec === again.taskPathspec);
    expect(task!.reusedFrom).toBe(firstTask);
    expect(task!.data.items).toEqual([1, 2, 3]);
  });

  test("%stale says what %rerun will reuse; %rerun reuses a foreach and its join, replaying each task's output", async () => {
    await run(START);
    const square = await run(SQUARE);
    expect(square.text).toBe("[ 1, 4, 9 ]");
    await run(TOTAL);
    await run(START); // unchanged: reused, but its children now read another task of start
    expect(session.state.stale).toEqual(["square", "total"]);

    const stale = await run("%stale");
    expect(stale.text).toContain("Stale steps: square, total");
    expect(stale.text).toContain("Will reuse (code and inputs unchanged): square, total");
    expect(stale.text).not.toContain("Will re-run");

    const rerun = await run("%rerun");
    expect(rerun.status).toBe("ok");
    expect(rerun.text).toBe("Reused square, total.");
    expect(rerun.s.err.match(/^Reused results of task LoopFlow\/\d+\/square\/\d+$/gm)).toHaveLength(3);
    expect(rerun.s.out).toContain("square 1\nsquare 2\nsquare 3\n");
    expect(session.state.stale).toEqual([]);
    const total = tasksOf("total").at(-1)!;
    expect(total.reusedFrom).toBeDefined();
    expect(total.data.total).toBe(14);
  });

  test("a changed cell runs; a child whose inputs come out the same is reused (early cut-off), one whose inputs change runs", async () => {
    await run(START);
    await run(SQUARE);
    await run(TOTAL);
    await run(`//% step report\nself.line = "total " + self.total;`);
    // The same squares, computed another way: total's inputs are unchanged.
    const same = await run(SQUARE.replace("self.input * self.input", "self.input ** 2"));
    expect(same.s.err).not.toContain("Reused");
    expect(same.s.out).toContain("square 3");
    expect((await run("%stale")).text).toContain("Will reuse (code and inputs unchanged): total, report");
    expect((await run("%rerun")).text).toBe("Reused total, report.");

    // Other squares: total runs; whether report runs depends on total's result, known only then.
    await run(SQUARE.replace("self.input * self.input", "self.input * 10"));
    const stale = await run("%stale");
    expect(stale.text).toContain("Will re-run: total");
    expect(stale.text).toContain("Will re-run unless their parents' results come out unchanged: report");
    expect((await run("%rerun")).text).toBe("Re-ran total, report.");
    expect(tasksOf("report").at(-1)!.data.line).toBe("total 60");
  });

  test("a failed step's children wait for it: %stale cannot tell yet, %rerun reuses them once it succeeds as before", async () => {
    await run(`//% parameters\nconst fail = false;`, "params");
    await run(`//% step start\nif (fail) throw new Error("failing on purpose");\nself.items = [1, 2, 3];`);
    await run(SQUARE);
    await run(`//% parameters\nconst fail = true;`, "params");
    const stale = await run("%stale");
    expect(stale.text).toContain("Will re-run: start");
    expect(stale.text).toContain("Will re-run unless their parents' results come out unchanged: square");
    expect((await run("%rerun")).status).toBe("error");
    await run(`//% parameters\nconst fail = false;`, "params");
    expect((await run("%stale")).text).toContain("Will reuse (code and inputs unchanged): start, square");
    expect((await run("%rerun")).text).toBe("Reused start, square.");
  });

  test("another session of the flow reuses the tasks, with their values and displays", async () => {
    const cells = [
      `//% setup\nfunction double(x: number) { return x * 2; }`,
      START,
      `//% step shown\ndisplay.markdown("**" + double(self.items.length) + "**");\n({ n: double(self.items.length) })`,
    ];
    const firsts = [];
    for (const c of cells) firsts.push(await run(c));
    expect(firsts[2]!.s.displays).toHaveLength(1);
    await session.close();

    session = await open();
    const seconds = [];
    for (const c of cells) seconds.push(await run(c));
    for (const r of seconds) expect(r.status).toBe("ok");
    expect(seconds[1]!.s.err).toBe(`Reused results of task ${firsts[1]!.taskPathspec}\n`);
    expect(seconds[2]!.s.err).toBe(`Reused results of task ${firsts[2]!.taskPathspec}\n`);
    expect(seconds[2]!.text).toBe("{ n: 6 }");
    expect(seconds[2]!.s.displays).toEqual(firsts[2]!.s.displays);
    expect(seconds[1]!.text).toBe("3");
  });

  test("a setup change re-runs only the cells that use what changed", async () => {
    const setup = (unused: number, factor: number) =>
      run(`//% setup\nfunction double(x: number) { return x * ${factor}; }\nfunction unused() { return ${unused}; }`, "setup");
    const doubled = `//% step doubled\nself.d = double(self.items.length);\nself.d`;
    await setup(1, 2);
    await run(START);
    await run(doubled);
    await setup(2, 2);
    expect((await run(START)).s.err).toContain("Reused results");
    expect((await run(doubled)).s.err).toContain("Reused results");
    await setup(2, 3);
    expect((await run(START)).s.err).toContain("Reused results");
    const tripled = await run(doubled);
    expect(tripled.s.err).toBe("");
    expect(tripled.text).toBe("9");
  });

  test("a parameter's value is part of the key: a new value runs, the old one is reused again", async () => {
    const cell = `//% step start\nconsole.log("scaled");\nself.v = alpha * 10;\nself.v`;
    await run(`//% parameters\nconst alpha = 1;`);
    expect((await run(cell)).s.err).toBe("");
    await run(`//% parameters\nconst alpha = 2;`);
    const two = await run(cell);
    expect(two.s.err).toBe("");
    expect(two.text).toBe("20");
    await run(`//% parameters\nconst alpha = 1;`);
    const one = await run(cell);
    expect(one.s.err).toContain("Reused results");
    expect(one.text).toBe("10");
  });
});

describe("opting out", () => {
  test("%cache off runs every cell (and %stale says so); %cache on reuses again", async () => {
    await run(START);
    const off = await run("%cache off");
    expect(off.text).toMatch(/^Task reuse is off/);
    const ran = await run(START);
    expect(ran.s.err).toBe("");
    expect(ran.s.out).toBe("start ran\n");
    await run(SQUARE);
    await run(START);
    expect((await run("%stale")).text).toContain("Will re-run (task reuse is off: %cache on): square");
    expect((await run("%cache")).text).toMatch(/^Task reuse is off/);
    const on = await run("%cache on");
    expect(on.text).toMatch(/^Task reuse is on/);
    expect((await run(START)).s.err).toContain("Reused results");
    expect((await run("%cache maybe")).error?.evalue).toContain("%cache takes on or off");
  });

  test("a cell with cache=false always runs", async () => {
    const cell = `//% step start cache=false\nconsole.log("fresh");\nself.t = 1;`;
    await run(cell);
    const again = await run(cell);
    expect(again.s.err).toBe("");
    expect(again.s.out).toBe("fresh\n");
    await run(`//% step child cache=false\nself.u = self.t + 1;`);
    await run(cell);
    expect((await run("%stale")).text).toContain("Will re-run: child");
  });

  test("a cell that reads the client API, asks for input or runs a flow is reused only with cache=true", async () => {
    const reads = `//% step start\nself.runs = Flow("LoopFlow").runs.length;`;
    await run(reads);
    expect((await run(reads)).s.err).toBe("");
    const withCache = reads.replace("//% step start", "//% step start cache=true");
    await run(withCache);
    expect((await run(withCache)).s.err).toContain("Reused results");

    const asks = `//% step asks\nself.name = await prompt("name?");`;
    const answer = { ...sink(), input: async () => "Ada" };
    for (let i = 0; i < 2; i++) {
      const r = await session.execute(asks, { sink: answer });
      expect(r.status).toBe("ok");
    }
    expect(answer.err).toBe("");
    expect(tasksOf("asks").map((t) => t.data.name)).toEqual(["Ada", "Ada"]);

    writeFileSync(path.join(dir, "hello.ts"), HELLO_FLOW);
    const runs = `//% step runs\nconst r = await runFlow("hello.ts");\nself.ok = true;`;
    expect((await run(runs)).status).toBe("ok");
    const second = await run(runs);
    expect(second.s.err).toBe("");
    expect(Flow("HelloLoopFlow", reader()).runs).toHaveLength(2);
  });
});

const FRAGILE_FLOW = readFileSync(path.join(FLOWS, "fragile-foreach.ts"), "utf8");

/** Runs a flow file with the steplab command (in this process), the session's store closed meanwhile. */
async function runFlowFile(name: string, text: string, ...args: string[]): Promise<number> {
  await session.close();
  writeFileSync(path.join(dir, name), text);
  const code = await main([name, "run", ...args], {
    stdout: () => {},
    stderr: () => {},
    env: { ...process.env, STEPLAB_DATASTORE: path.join(dir, "store"), NO_COLOR: "1" },
    cwd: dir,
    isTTY: false,
  });
  session = await open();
  return code;
}

describe("%load PATHSPEC", () => {
  test("a flow's failed foreach item: scratch cells see its exact inputs, a fix is tried in a cell, %load off ends it", async () => {
    expect(await runFlowFile("fragile.ts", FRAGILE_FLOW)).not.toBe(0);
    const failed = Flow("FragileFlow", reader())
      .latestRun!.step("divide")
      .tasks.find((t) => !t.successful)!;
    expect(failed.exception?.message).toBe("cannot divide by zero");

    const loaded = await run(`%load ${failed.pathspec}`);
    expect(loaded.status).toBe("ok");
    expect(loaded.text).toContain(`Loaded ${failed.pathspec} (failed: Error: cannot divide by zero).`);
    expect(loaded.text).toContain("self.input = 0, self.index = 1 (of 3 items of 'items').");
    expect(loaded.text).toMatch(/see its inputs as self .*: offset, items, scale\.\n/);

    // A cell without directives is scratch now: it reads the task's inputs and the parent's artifacts.
    const look = await run(`[self.input, self.index, self.items, self.scale, self.offset]`);
    expect(look.text).toBe("[ 0, 1, [ 4, 0, 2 ], 10, 1 ]");
    const fixed = await run(`self.value = self.input === 0 ? 0 : self.scale / self.input + self.offset;\nself.value`);
    expect(fixed.text).toBe("0");
    // Nothing a scratch cell does creates a step or a task.
    expect(session.state.steps).toEqual([]);
    expect(session.state.runId).toBeUndefined();
    expect((await run("%load")).text).toContain(`Loaded ${failed.pathspec}`);

    const off = await run("%load off");
    expect(off.text).toBe(`Unloaded ${failed.pathspec}: scratch cells see the notebook's last step again.`);
    // Cells are numbered in order of first run: the two scratch cells above were cells 1 and 2.
    const step = await run(`self.after = 1;`);
    expect(step.step).toBe("cell_3");
    expect(session.state.steps.map((s) => s.name)).toEqual(["cell_3"]);
    expect((await run("%load off")).text).toBe("No task was loaded.");
  });

  test("a join's inputs, a start's parameters, RUN/STEP/TASK of the session's flow, and clear errors", async () => {
    const fixedFlow = FRAGILE_FLOW.replace("[4, 0, 2]", "[4, 5, 2]");
    expect(await runFlowFile("fragile.ts", fixedFlow, "--offset", "3")).toBe(0);
    const fragile = Flow("FragileFlow", reader()).latestRun!;
    const join = fragile.step("join").task;

    expect((await run(`%load ${join.pathspec}`)).text).toContain("inputs: the 3 tasks it joined (divide).");
    expect((await run(`inputs.map((i) => i.value)`)).text).toBe("[ 5.5, 5, 8 ]");
    expect((await run(`self.offset`)).text).toBe("3");

    const start = fragile.step("start").task;
    await run(`%flow FragileFlow`);
    const short = await run(`%load ${fragile.id}/start/${start.id}`);
    expect(short.text).toContain(`Loaded ${start.pathspec} (succeeded).`);
    expect((await run(`[offset, self.offset]`)).text).toBe("[ 3, 3 ]");
    const byStep = await run(`%load FragileFlow/${fragile.id}/start`);
    expect(byStep.text).toContain(`Loaded ${start.pathspec}`);

    const many = await run(`%load FragileFlow/${fragile.id}/divide`);
    expect(many.error?.evalue).toMatch(/step divide of FragileFlow\/\d+ has tasks \d+, \d+, \d+: name one/);
    const missing = await run(`%load FragileFlow/${fragile.id}/divide/999`);
    expect(missing.error?.evalue).toMatch(/is not a task \(tasks of that step: \d+, \d+, \d+\)/);
    const noRun = await run(`%load FragileFlow/123/start/1`);
    expect(noRun.error?.evalue).toContain("run FragileFlow/123 is not in the datastore");
    expect((await run(`%load start`)).error?.evalue).toContain("%load takes a task: FLOW/RUN/STEP/TASK");
    // A failed %load keeps the task loaded before it.
    expect((await run("%load")).text).toContain(`Loaded ${start.pathspec}`);
  });

  test("a failed foreach task of the notebook's own run", async () => {
    await run(`//% step start\nself.items = [2, 0];`);
    const failed = await run(
      `//% step invert foreach items\nself.inv = 1 / self.input;\nif (!Number.isFinite(self.inv)) throw new Error("not finite");`,
    );
    expect(failed.status).toBe("error");
    const task = tasksOf("invert").find((t) => !t.successful)!;
    const loaded = await run(`%load ${task.pathspec}`);
    expect(loaded.text).toContain("self.input = 0, self.index = 1 (of 2 items of 'items').");
    expect((await run(`self.input`)).text).toBe("0");
    // A step cell still runs as a step, on its own parents.
    const fixedStep = await run(`//% step invert foreach items\nself.inv = self.input === 0 ? 0 : 1 / self.input;\nself.inv`);
    expect(fixedStep.text).toBe("[ 0.5, 0 ]");
  });
});
