/**
 * `resume` and failed tasks, through the CLI (cli/main, in this process) against a real
 * LMDB store in a temp dir, real isolates and real child processes. A flow is "fixed" the way a
 * user fixes it: by editing the flow file between the failed run and the resume.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.js";
import { Flow, Run, Task } from "../runtime/client/index.js";
import { storeReader } from "../store/index.js";
import { openStore, type Store } from "../store/index.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "steplab-resume-"));
  dirs.push(dir);
  return dir;
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function steplab(dir: string, ...args: string[]): Promise<CliResult> {
  const out = { stdout: "", stderr: "" };
  const io = {
    stdout: (s: string) => void (out.stdout += s),
    stderr: (s: string) => void (out.stderr += s),
    env: { ...process.env, STEPLAB_DATASTORE: join(dir, ".steplab"), NO_COLOR: "1" },
    cwd: dir,
    isTTY: false,
  };
  const code = await main(args, io);
  return { code, ...out };
}

function runIdOf(result: CliResult): string {
  const match = /Workflow starting \(run-id (\d+)\)/.exec(result.stdout);
  if (!match) throw new Error(`no run id in:\n${result.stdout}\n${result.stderr}`);
  return match[1]!;
}

/** Lines of one step's tasks, e.g. all `[RUN/analyze/N (pid P)] ...` lines. */
function linesOf(result: CliResult, step: string): string[] {
  return result.stdout.split("\n").filter((l) => new RegExp(`\\[\\d+/${step}/\\d+ \\(pid \\d+\\)\\]`).test(l));
}

function edit(file: string, from: string, to: string): void {
  const source = readFileSync(file, "utf8");
  if (!source.includes(from)) throw new Error(`'${from}' is not in ${file}`);
  writeFileSync(file, source.replace(from, to));
}

function withStore<T>(dir: string, body: (store: Store) => T): T {
  const store = openStore(join(dir, ".steplab"));
  try {
    return body(store);
  } finally {
    void store.close();
  }
}

const SQUARES = `
import { FlowSpec, step, Parameter, type Inputs } from "steplab";

export class SquaresFlow extends FlowSpec {
  declare items: number[];
  declare squared: number;
  declare total: number;
  scale = Parameter("scale", { help: "Multiplies the total", default: 1 });

  @step start() {
    console.log("start says hello");
    this.items = [1, 2, 3, 4];
    this.next(this.square, { foreach: "items" });
  }

  @step square() {
    console.log("squaring", this.input);
    if (this.input === 3) throw new Error("three is unlucky");
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

describe("resume after a failed foreach child", () => {
  let dir: string;
  let file: string;
  let failed: CliResult;
  let resumed: CliResult;
  let failedId: string;
  let resumedId: string;

  beforeAll(async () => {
    dir = project();
    file = join(dir, "squares.ts");
    writeFileSync(file, SQUARES);
    failed = await steplab(dir, file, "run", "--scale", "10");
    failedId = runIdOf(failed);
    edit(file, `if (this.input === 3) throw new Error("three is unlucky");`, "");
    resumed = await steplab(dir, file, "resume");
    resumedId = runIdOf(resumed);
  });

  it("the failed run exits 1 naming the failing step", () => {
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("Workflow failed.");
    expect(failed.stderr).toMatch(/Step square \(task-id \d+\) failed/);
    expect(failed.stdout).toContain("Error: three is unlucky");
  });

  it("resumes as a new run that clones the successful tasks and re-runs the failed child", () => {
    expect(resumed.code).toBe(0);
    expect(resumedId).not.toBe(failedId);
    expect(resumed.stdout).toContain("Done!");
    expect(resumed.stderr).toContain(`Resuming SquaresFlow/${failedId} from step square`);

    const start = linesOf(resumed, "start");
    expect(start.some((l) => l.includes(`Cloning results of a previously run task ${failedId}/start/1`))).toBe(true);
    // Cloned tasks do not run again, so their user output is not printed again.
    expect(resumed.stdout).not.toContain("start says hello");
    expect(start.some((l) => l.includes("Task is starting."))).toBe(false);

    const square = linesOf(resumed, "square");
    expect(square.filter((l) => l.includes("Cloning results of a previously run task"))).toHaveLength(3);
    expect(square.filter((l) => l.includes("Task is starting."))).toHaveLength(1);
    expect(square.filter((l) => l.includes("squaring"))).toEqual([expect.stringContaining("squaring 3")]);
    expect(linesOf(resumed, "join").some((l) => l.includes("Task is starting."))).toBe(true);
    expect(resumed.stdout).toContain("total 300"); // (1+4+9+16) * scale 10, the origin's parameter
  });

  it("records the origin: run.originPathspec, task.originPathspec, same artifact references", () => {
    withStore(dir, (store) => {
      const reader = storeReader(store);
      const run = new Run(`SquaresFlow/${resumedId}`, reader);
      expect(run.record.originRunId).toBe(failedId);
      expect(run.originPathspec).toBe(`SquaresFlow/${failedId}`);
      expect(run.successful).toBe(true);
      expect(run.parameters).toEqual({ scale: 10 });

      const origin = new Run(`SquaresFlow/${failedId}`, reader);
      const originByIndex = new Map(origin.step("square").tasks.map((t) => [t.index, t]));
      for (const task of run.step("square")) {
        const before = originByIndex.get(task.index)!;
        if (task.index === 2) {
          // The child that failed ran again: no origin, and it has its square now.
          expect(task.originPathspec).toBeUndefined();
          expect(task.data.squared).toBe(9);
          continue;
        }
        expect(task.originPathspec).toBe(before.pathspec);
        // Cloning copies references: the same blobs, by sha.
        expect(task.artifacts.map((a) => [a.name, a.sha])).toEqual(before.artifacts.map((a) => [a.name, a.sha]));
        expect(task.stdout).toBe(before.stdout);
      }
      expect(run.step("start").task.originPathspec).toBe(`SquaresFlow/${failedId}/start/1`);
      expect(run.data!.total).toBe(300);
    });
  });

  it("a consecutive resume starts from the latest run (the resumed one) and clones everything", async () => {
    const again = await steplab(dir, file, "resume");
    expect(again.code).toBe(0);
    const againId = runIdOf(again);
    expect(again.stderr).toContain(`Resuming SquaresFlow/${resumedId} from step end`);
    const clones = again.stdout.split("\n").filter((l) => l.includes("Cloning results of a previously run task"));
    expect(clones).toHaveLength(7); // start, 4 children, join, end
    expect(clones.every((l) => l.includes(`task ${resumedId}/`))).toBe(true);
    expect(again.stdout).not.toContain("Task is starting.");
    expect(again.stdout).toContain("Done!");
    withStore(dir, (store) => {
      const run = new Run(`SquaresFlow/${againId}`, storeReader(store));
      expect(run.originPathspec).toBe(`SquaresFlow/${resumedId}`);
      expect(run.successful).toBe(true);
      expect(run.data!.total).toBe(300);
    });
  });

  it("resume STEP re-runs that step and everything after it", async () => {
    const fromJoin = await steplab(dir, file, "resume", "join");
    expect(fromJoin.code).toBe(0);
    expect(linesOf(fromJoin, "square").filter((l) => l.includes("Cloning results"))).toHaveLength(4);
    expect(linesOf(fromJoin, "join").some((l) => l.includes("Task is starting."))).toBe(true);
    expect(linesOf(fromJoin, "end").some((l) => l.includes("Task is starting."))).toBe(true);

    const fromSquare = await steplab(dir, file, "resume", "square");
    expect(fromSquare.code).toBe(0);
    expect(linesOf(fromSquare, "start").some((l) => l.includes("Cloning results"))).toBe(true);
    // A named foreach step re-runs whole: every child runs again.
    expect(linesOf(fromSquare, "square").filter((l) => l.includes("Task is starting."))).toHaveLength(4);
  });

  it("--origin-run-id picks the origin", async () => {
    const picked = await steplab(dir, file, "resume", "--origin-run-id", failedId);
    expect(picked.code).toBe(0);
    expect(picked.stderr).toContain(`Resuming SquaresFlow/${failedId} from step square`);
    const clones = picked.stdout.split("\n").filter((l) => l.includes("Cloning results"));
    expect(clones).toHaveLength(4);
    expect(clones.every((l) => l.includes(`task ${failedId}/`))).toBe(true);
  });

  it("rejects parameters, unknown steps and unknown origins with a usage error", async () => {
    const withParam = await steplab(dir, file, "resume", "--scale", "3");
    expect(withParam.code).toBe(2);
    expect(withParam.stderr).toMatch(/Parameters cannot be changed on resume \(got --scale\)/);
    expect(withParam.stdout).toBe("");

    const unknownStep = await steplab(dir, file, "resume", "squre");
    expect(unknownStep.code).toBe(2);
    expect(unknownStep.stderr).toContain("'squre' is not a step of SquaresFlow");
    expect(unknownStep.stderr).toContain("start, square, join, end");

    const unknownRun = await steplab(dir, file, "resume", "--origin-run-id", "42");
    expect(unknownRun.code).toBe(2);
    expect(unknownRun.stderr).toContain("SquaresFlow/42 does not exist");
    expect(unknownRun.stderr).toContain(failedId);
  });

  it("`steplab runs FLOW` lists the runs newest first with status, duration and origin", async () => {
    const runs = await steplab(dir, "runs", "SquaresFlow");
    expect(runs.code).toBe(0);
    const lines = runs.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^RUN\s+STATUS\s+DURATION\s+STARTED\s+SIZE\s+TAGS\s+ORIGIN$/);
    expect(lines).toHaveLength(1 + 6);
    const last = lines.at(-1)!;
    expect(last).toMatch(new RegExp(`^SquaresFlow/${failedId}\\s+failed\\s+\\d`));
    expect(lines[lines.length - 2]).toMatch(new RegExp(`^SquaresFlow/${resumedId}\\s+succeeded\\s+.*resumed ${failedId}$`));
    const ids = lines.slice(1).map((l) => Number(l.split(/\s+/)[0]!.split("/")[1]));
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    expect(lines[1]).toContain("user:");

    const unknown = await steplab(dir, "runs", "NoSuchFlow");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("SquaresFlow");
  });
});

const BRANCHES = `
import { FlowSpec, step, type Inputs } from "steplab";

export class BranchesFlow extends FlowSpec {
  declare base: number;
  declare left: number;
  declare right: number;
  declare sum: number;

  @step start() {
    this.base = 1;
    this.next(this.go_left, this.go_right);
  }
  @step go_left() {
    console.log("left ran");
    this.left = this.base + 1;
    this.next(this.meet);
  }
  @step go_right() {
    this.right = this.base + 2;
    throw new Error("right is broken");
    this.next(this.meet);
  }
  @step meet(inputs: Inputs<BranchesFlow>) {
    this.sum = inputs.go_left.left + inputs.go_right.right;
    this.next(this.end);
  }
  @step end() {
    console.log("sum", this.sum);
  }
}
`;

describe("resume after a failed branch of a static split", () => {
  it("clones the sibling branch and re-runs the failed one, the join and end", async () => {
    const dir = project();
    const file = join(dir, "branches.ts");
    writeFileSync(file, BRANCHES);
    const failed = await steplab(dir, file, "run");
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/Step go_right \(task-id \d+\) failed/);
    edit(file, `throw new Error("right is broken");`, "");

    const resumed = await steplab(dir, file, "resume");
    expect(resumed.code).toBe(0);
    expect(linesOf(resumed, "go_left").some((l) => l.includes("Cloning results"))).toBe(true);
    expect(resumed.stdout).not.toContain("left ran");
    expect(linesOf(resumed, "go_right").some((l) => l.includes("Task is starting."))).toBe(true);
    expect(resumed.stdout).toContain("sum 5");
  });
});

/** One flow per failure mode, so that only that mode's limit applies (a busy machine is slow). */
const failures = (options: string) => `
import { FlowSpec, step, Parameter, type Inputs } from "steplab";

export class FailuresFlow extends FlowSpec {
  declare ok: boolean;
  mode = Parameter("mode", { default: "throw" });

  @step start() {
    this.next(this.slow, this.bad);
  }

  /** Still running when bad fails: the run lets it finish. */
  @step slow() {
    const until = Date.now() + 2000;
    while (Date.now() < until) {}
    this.ok = true;
    this.next(this.join);
  }

  @step(${options})
  bad() {
    console.log("bad starts in mode", this.mode);
    if (this.mode === "throw") throw new TypeError("bad input");
    if (this.mode === "timeout") while (true) {}
    if (this.mode === "memory") {
      const hog: number[][] = [];
      while (true) hog.push(new Array(1e6).fill(1));
    }
    this.next(this.join);
  }

  @step join(inputs: Inputs<FailuresFlow>) {
    this.next(this.end);
  }

  @step end() {}
}
`;

const KILLED = `
import { FlowSpec, step } from "steplab";

export class KilledFlow extends FlowSpec {
  @step start() {
    this.next(this.doomed);
  }

  @step({ isolation: "process" })
  doomed() {
    console.log("about to be killed");
    process.kill(process.pid, "SIGKILL");
    this.next(this.end);
  }

  @step end() {}
}
`;

describe("failed tasks", () => {
  let dir: string;
  beforeAll(() => {
    dir = project();
    writeFileSync(join(dir, "throw.ts"), failures("{}"));
    writeFileSync(join(dir, "timeout.ts"), failures("{ timeoutSeconds: 2 }"));
    writeFileSync(join(dir, "memory.ts"), failures("{ memoryMb: 64 }"));
    writeFileSync(join(dir, "killed.ts"), KILLED);
  });

  const cases = [
    { mode: "throw", error: "TypeError", message: "bad input" },
    { mode: "timeout", error: "TaskTimeoutError", message: "ran longer than its timeoutSeconds (2 s)" },
    { mode: "memory", error: "TaskMemoryError", message: "memory limit (64 MB)" },
  ];
  for (const { mode, error, message } of cases) {
    it(`a task that fails by ${mode} is recorded failed with its error and logs; running tasks finish; exit 1`, async () => {
      const result = await steplab(dir, join(dir, `${mode}.ts`), "run", "--mode", mode);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain("Workflow failed.");
      expect(result.stderr).toMatch(/Step bad \(task-id \d+\) failed/);
      const bad = linesOf(result, "bad");
      expect(bad.some((l) => l.includes(`${error}: `) && l.includes(message))).toBe(true);
      expect(bad.at(-1)).toContain("Task failed.");
      // The runtime's own frames are not shown for its verdicts.
      expect(result.stdout).not.toMatch(/at (IsolateSandbox|executeTask|launch)/);

      const runId = runIdOf(result);
      withStore(dir, (store) => {
        const reader = storeReader(store);
        const run = new Run(`FailuresFlow/${runId}`, reader);
        expect(run.successful).toBe(false);
        expect(run.finished).toBe(true);
        expect(run.record.failedStep).toBe("bad");
        const task = run.step("bad").task;
        expect(task.successful).toBe(false);
        expect(task.finished).toBe(true);
        expect(task.exception?.name).toBe(error);
        expect(task.exception?.message).toContain(message);
        expect(task.stdout).toContain(`bad starts in mode ${mode}`);
        // The error is in the task's stderr log too, where `steplab logs` shows it.
        expect(task.stderr).toContain(`${error}: `);
        expect(task.stderr).toContain(message);
        // The sibling that was running finished; nothing new was scheduled after the failure.
        expect(run.step("slow").task.successful).toBe(true);
        expect(run.has("join")).toBe(false);
      });
    });
  }

  it("a process step whose child is killed (SIGKILL) fails with TaskCrashedError", async () => {
    const result = await steplab(dir, join(dir, "killed.ts"), "run");
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("Workflow failed.");
    expect(result.stderr).toMatch(/Step doomed \(task-id \d+\) failed/);
    expect(linesOf(result, "doomed").some((l) => l.includes("TaskCrashedError") && l.includes("SIGKILL"))).toBe(true);
    withStore(dir, (store) => {
      const reader = storeReader(store);
      const run = new Flow("KilledFlow", reader).latestRun!;
      const task = new Task(`${run.pathspec}/doomed/2`, reader);
      expect(task.successful).toBe(false);
      expect(task.exception?.name).toBe("TaskCrashedError");
      expect(task.stdout).toContain("about to be killed");
      expect(run.has("end")).toBe(false);
    });
  });
});
