/**
 * The seed flows run through the real `steplab` command: console output, exit codes and the
 * artifacts they leave in the store, read back through the client API.
 */
import { afterAll, describe, expect, it } from "vitest";
import path from "node:path";
import { FLOWS, Project, runIdOf, taskLines } from "./helpers/cli.js";

const flow = (name: string) => path.join(FLOWS, name);

const project = new Project();
afterAll(() => project.cleanup());

describe("linear flows", () => {
  it("HelloWorld prints Metaflow's console lines and stores its message", async () => {
    const r = await project.run([flow("hello-world.ts"), "run"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("executing HelloFlow");
    expect(r.stderr).toContain("The graph looks good!");
    const runId = runIdOf(r.stdout);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} Workflow starting \(run-id \d+\):$/);
    expect(lines.at(-1)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} Done!$/);
    const tasks = taskLines(r.stdout);
    // every other line has the task prefix `[run/step/task (pid N)]`
    expect(tasks.length).toBe(lines.length - 2);
    expect(tasks.every((t) => t.runId === runId && t.pid > 0)).toBe(true);
    expect(tasks.filter((t) => t.text === "Task is starting.").map((t) => `${t.step}/${t.taskId}`)).toEqual([
      "start/1",
      "hello/2",
      "end/3",
    ]);
    expect(tasks.filter((t) => t.text === "Task finished successfully.")).toHaveLength(3);
    expect(tasks.find((t) => t.step === "hello" && t.text === "Metaflow says: Hi!")).toBeDefined();
    expect(tasks.find((t) => t.step === "end" && t.text === "HelloFlow is all done.")).toBeDefined();

    const run = project.flow("HelloFlow").latestRun!;
    expect(run.id).toBe(runId);
    expect(run.successful).toBe(true);
    expect(run.step("hello").task.data.message).toBe("Metaflow says: Hi!");
    expect(run.step("hello").task.stdout).toBe("Metaflow says: Hi!\n");
  });

  it("Counter passes an artifact along and changes it in each step", async () => {
    const r = await project.run([flow("counter.ts"), "run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("The count is 0 before incrementing");
    expect(r.stdout).toContain("Final count is 2");
    const run = project.flow("CounterFlow").latestRun!;
    expect(run.step("start").task.data.count).toBe(0);
    expect(run.step("add").task.data.count).toBe(1);
    expect(run.step("end").task.data.count).toBe(2);
  });

  it("show lists steps with docstrings and transitions; check validates", async () => {
    const show = await project.run([flow("hello-world.ts"), "show"]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain("Step start");
    expect(show.stdout).toContain("This is the 'start' step.");
    expect(show.stdout).toMatch(/=> hello/);
    const check = await project.run([flow("hello-world.ts"), "check"]);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain("The graph looks good!");
  });
});

describe("branches and joins", () => {
  it("CounterBranch joins with inputs.map and inputs.add_one, merging all but increment", async () => {
    const r = await project.run([flow("spec-counter-branch.ts"), "run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("count from add_one 1");
    expect(r.stdout).toContain("The final count is 2");
    const run = project.flow("CounterBranchFlow").latestRun!;
    const join = run.step("join").task;
    expect(join.data.count).toBe(2);
    // stored under the field name, as Metaflow does; steps may also read it as this.creature
    expect(join.data.animal).toBe("dog");
    expect(join.artifacts.map((a) => a.name)).not.toContain("increment");
    expect(run.step("add_two").task.data.increment).toBe(2);
  });

  it("a join reads inputs[0], inputs.NAME, for..of and map; merged artifacts reach end", async () => {
    const r = await project.run([flow("join-inputs.ts"), "run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("seen first=1 by-name=2 loop=1 loop=2 map=1+2");
    expect(r.stdout).toContain("shared same everywhere count 2");
    const end = project.flow("JoinInputsFlow").latestRun!.step("end").task;
    expect(end.data.shared).toBe("same everywhere");
    expect(end.data.seen).toEqual(["first=1", "by-name=2", "loop=1", "loop=2", "map=1+2"]);
  });

  it("mergeArtifacts names a divergent artifact and the run fails with exit 1", async () => {
    const r = await project.run([flow("divergent-merge.ts"), "run"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/mergeArtifacts\(\) in step 'join': artifact 'increment' differ/);
    expect(r.stdout).toContain("Task failed.");
    expect(r.stdout).toContain("Workflow failed.");
    const run = project.flow("DivergentMergeFlow").latestRun!;
    expect(run.successful).toBe(false);
    expect(run.step("join").task.exception?.message).toContain("'increment'");
  });

  it("reading an artifact no step set fails with Flow X has no attribute 'y'", async () => {
    const r = await project.run([flow("missing-attribute.ts"), "run"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Flow MissingAttributeFlow has no attribute 'y'");
    expect(r.stdout).toMatch(/missing-attribute\.ts:14:\d+/);
  });
});

describe("foreach", () => {
  it("children see this.input and this.index; the join sees them in order", async () => {
    const r = await project.run([flow("foreach-index.ts"), "run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[\d+\/start\/1 \(pid \d+\)\] Foreach yields 4 child steps\./);
    for (let i = 0; i < 4; i++) expect(r.stdout).toContain(`child ${i} got item${i}`);
    expect(r.stdout).toContain("pairs 0:item0,1:item1,2:item2,3:item3");
    const step = project.flow("ForeachIndexFlow").latestRun!.step("each");
    const tasks = [...step];
    expect(tasks.map((t) => t.id)).toEqual(["2", "3", "4", "5"]); // consecutive task ids
    expect(tasks.map((t) => t.index).sort()).toEqual([0, 1, 2, 3]);
    expect(tasks.map((t) => t.data.item).sort()).toEqual(["item0", "item1", "item2", "item3"]);
  });

  it("nested foreach: the inner join closes one level, the outer join the other", async () => {
    const r = await project.run([flow("nested-foreach.ts"), "run"]);
    expect(r.code).toBe(0);
    const run = project.flow("NestedForeachFlow").latestRun!;
    expect([...run.step("inner")]).toHaveLength(6);
    expect([...run.step("join_inner")]).toHaveLength(2);
    expect(run.step("join_outer").task.data.all).toEqual(["a", "b", "c", "a", "b", "c"]);
    expect(run.step("end").task.stdout).toBe("6\n");
  });

  it("a foreach wider than --max-num-splits (default 100) fails naming the option", async () => {
    const wide = await project.run([flow("foreach-index.ts"), "run", "--width", "101"]);
    expect(wide.code).toBe(1);
    expect(wide.stdout).toContain("--max-num-splits (100)");
    expect(wide.stdout).not.toContain("Foreach yields");

    const narrow = await project.run([flow("foreach-index.ts"), "run", "--max-num-splits", "3"]);
    expect(narrow.code).toBe(1);
    expect(narrow.stdout).toContain("yields 4 child steps, more than --max-num-splits (3)");

    const fromEnv = await project.run([flow("foreach-index.ts"), "run"], { env: { STEPLAB_RUN_MAX_NUM_SPLITS: "2" } });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stdout).toContain("--max-num-splits (2)");

    const cliWins = await project.run([flow("foreach-index.ts"), "run", "--max-num-splits", "4"], {
      env: { STEPLAB_RUN_MAX_NUM_SPLITS: "2" },
    });
    expect(cliWins.code).toBe(0);
  });

  it("--max-workers 1 runs one task at a time", async () => {
    const r = await project.run([flow("slow-foreach.ts"), "run", "--width", "3", "--pause", "50", "--max-workers", "1"]);
    expect(r.code).toBe(0);
    const events = taskLines(r.stdout).filter((t) => t.text === "Task is starting." || t.text === "Task finished successfully.");
    let running = 0;
    let most = 0;
    for (const e of events) {
      running += e.text === "Task is starting." ? 1 : -1;
      most = Math.max(most, running);
    }
    expect(most).toBe(1);
    expect(r.stdout).toContain("total 6");
  });
});

describe("failures and lint", () => {
  it("a failing task shows the user's stack with the flow file's .ts file:line", async () => {
    const r = await project.run([flow("failing.ts"), "run"]);
    expect(r.code).toBe(1);
    const lines = taskLines(r.stdout).filter((t) => t.step === "check");
    const texts = lines.map((l) => l.text);
    expect(texts).toContain("RangeError: count 3 is too small");
    expect(texts.some((t) => /^at checkCount \(.*failing\.ts:5:\d+\)$/.test(t))).toBe(true);
    expect(texts.some((t) => /^at check \(.*failing\.ts:20:\d+\)$/.test(t))).toBe(true);
    // none of steplab's own frames
    expect(texts.some((t) => /runtime\/|node_modules|bundle\.js/.test(t))).toBe(false);
    expect(texts.at(-1)).toBe("Task failed.");
    expect(r.stdout).toContain("Workflow failed.");
    expect(r.stderr).toMatch(/Step check \(task-id 2\) failed/);
    const task = project.flow("FailingFlow").latestRun!.step("check").task;
    expect(task.successful).toBe(false);
    expect(task.exception?.name).toBe("RangeError");
  });

  it("lint errors print with file:line, run no step and exit 1", async () => {
    const file = project.write(
      "broken.ts",
      `import { FlowSpec, step } from "steplab";

export class BrokenFlow extends FlowSpec {
  @step start() {
    this.next(this.a, this.b);
  }
  @step a() {
    this.next(this.end);
  }
  @step b() {
    console.log("no next here");
  }
  @step end() {}
}
`,
    );
    const r = await project.run([file, "run"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.ts:10: /);
    expect(r.stdout).not.toContain("Workflow starting");
    expect(r.stdout).not.toContain("Task is starting.");
    const check = await project.run([file, "check"]);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/broken\.ts:\d+: /);
    expect(project.reader().listFlows()).not.toContain("BrokenFlow");
  });

  it("a join of branches from different splits is a lint error with its line", async () => {
    const file = project.write(
      "bad-join.ts",
      `import { FlowSpec, step, type Inputs } from "steplab";

export class BadJoinFlow extends FlowSpec {
  @step start() {
    this.next(this.a, this.b);
  }
  @step a() {
    this.next(this.c, this.d);
  }
  @step c() {
    this.next(this.join);
  }
  @step d() {
    this.next(this.join2);
  }
  @step b() {
    this.next(this.join);
  }
  @step join(inputs: Inputs<BadJoinFlow>) {
    this.next(this.join2);
  }
  @step join2(inputs: Inputs<BadJoinFlow>) {
    this.next(this.end);
  }
  @step end() {}
}
`,
    );
    const r = await project.run([file, "run"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad-join\.ts:\d+: .*join/i);
    expect(r.stdout).toBe("");
  });
});
