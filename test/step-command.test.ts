/**
 * `steplab FLOW.ts step STEP ...` driven exactly as the Argo WorkflowTemplate drives it: one real
 * process per task, task ids read back from OUTPUTS_DIR/task-id, foreach fan-out from
 * OUTPUTS_DIR/split-indices, a foreach join given Argo's aggregate `STEP/:[{"task-id":...}]`.
 * The run it leaves in the local datastore is compared, through the client API, with `run`'s.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildWorkflowTemplate, OUTPUTS_DIR, type ArgoWorkflowTemplate } from "../runtime/argo/index.js";
import { Run } from "../runtime/client/index.js";
import { loadGraph } from "../cli/validate.js";
import { Project, runIdOf, type CliResult } from "./helpers/cli.js";

const project = new Project();
afterAll(() => project.cleanup());

let pods = 0;
/** One pod: `steplab FLOW step STEP --run-id RUN --outputs-dir DIR ...`; returns its outputs. */
async function pod(file: string, step: string, runId: string, extra: string[] = []) {
  const outputs = path.join(project.dir, "outputs", String(pods++));
  const r = await project.run([file, "step", step, "--run-id", runId, "--outputs-dir", outputs, ...extra]);
  const read = (name: string) => {
    try {
      return readFileSync(path.join(outputs, name), "utf8");
    } catch {
      return undefined;
    }
  };
  return { ...r, taskId: read("task-id"), splitIndices: read("split-indices") };
}

function ok(r: CliResult & { taskId?: string }): string {
  if (r.code !== 0) throw new Error(`pod failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  expect(r.taskId).toMatch(/^t-[0-9a-f]{12}$/);
  return r.taskId!;
}

const order = (stack: { index: number }[]) => stack.map((f) => String(f.index).padStart(6, "0")).join(".");

/** Each step's tasks as artifact name -> sha (content addressed: equal values, equal shas), in foreach order. */
function artifactsOf(run: Run): Record<string, Record<string, string>[]> {
  return Object.fromEntries(
    run.steps.map((s) => [
      s.id,
      s.tasks
        .sort((a, b) => order(a.record.stack).localeCompare(order(b.record.stack)))
        .map((t) => Object.fromEntries(t.artifacts.map((a) => [a.name, a.sha]))),
    ]),
  );
}

function runOf(flow: string, runId: string): Run {
  return new Run(`${flow}/${runId}`, project.reader());
}

async function localRun(file: string, extra: string[] = []): Promise<Run> {
  const r = await project.run([file, "run", ...extra]);
  expect(r.code).toBe(0);
  const flow = file.endsWith("nested-foreach.ts") ? "NestedForeachFlow" : file.endsWith("foreach.ts") ? "ForeachFlow" : "CounterBranchFlow";
  return runOf(flow, runIdOf(r.stdout));
}

describe("step: a split and its join, pod by pod", () => {
  it("runs CounterBranch as Argo would and leaves the same artifacts as `run`", async () => {
    const file = project.fixture("spec-counter-branch.ts");
    const runId = "argo-counter-branch-1";
    const start = ok(await pod(file, "start", runId, ["--creature=cat", "--tag", "argo", "--tag", "nightly"]));
    const run0 = runOf("CounterBranchFlow", runId);
    expect(run0.finished).toBe(false);
    expect(run0.parameters).toEqual({ animal: "cat" });
    expect(run0.tags).toEqual(expect.arrayContaining(["argo", "nightly"]));
    const tagged = await pod(file, "add_one", runId, ["--input-paths", `start/${start}`, "--tag", "late"]);
    expect(tagged.code).toBe(2);
    expect(tagged.stderr).toContain("--tag is given to the start step only");

    const [one, two] = await Promise.all([
      pod(file, "add_one", runId, ["--input-paths", `start/${start}`]),
      pod(file, "add_two", runId, ["--input-paths", `start/${start}`]),
    ]);
    const join = await pod(file, "join", runId, ["--input-paths", `add_one/${ok(one)},add_two/${ok(two)}`]);
    expect(join.stdout).toContain("count from add_one 1");
    const end = await pod(file, "end", runId, ["--input-paths", `join/${ok(join)}`]);
    expect(ok(end)).toBeDefined();
    expect(end.stdout).toContain("The final count is 2");

    const run = runOf("CounterBranchFlow", runId);
    expect(run.successful).toBe(true);
    expect(run.finished).toBe(true);
    expect(run.data!.count).toBe(2);
    expect(run.step("join").task.data.animal).toBe("cat");
    expect("increment" in run.step("join").task.data).toBe(false);
    expect(run.step("join").task.parentTasks).toEqual([
      `CounterBranchFlow/${runId}/add_one/${one.taskId}`,
      `CounterBranchFlow/${runId}/add_two/${two.taskId}`,
    ]);
    expect(run.step("start").task.stdout).toBe("");
    expect(run.step("end").task.stdout).toBe("The final count is 2\n");

    const local = await localRun(file, ["--creature", "cat"]);
    expect(artifactsOf(run)).toEqual(artifactsOf(local));
  });

  it("a re-run pod gets the same task id, and the run stays as it was", async () => {
    const file = project.fixture("spec-counter-branch.ts");
    const runId = "argo-counter-branch-rerun";
    const start = ok(await pod(file, "start", runId));
    const args = ["--input-paths", `start/${start}`];
    const first = await pod(file, "add_one", runId, args);
    const again = await pod(file, "add_one", runId, args);
    expect(ok(again)).toBe(ok(first));
    expect(again.stdout).toContain("already succeeded");
    // A retried start pod finds its run and keeps its task.
    expect(ok(await pod(file, "start", runId))).toBe(start);
    const run = runOf("CounterBranchFlow", runId);
    expect(run.step("add_one").tasks.map((t) => t.id)).toEqual([first.taskId]);
    expect(run.step("start").tasks).toHaveLength(1);
    expect(run.parameters).toEqual({ animal: "dog" });
    // Another branch from the same parent is another task.
    expect(ok(await pod(file, "add_two", runId, args))).not.toBe(first.taskId);
  });

  it("--retry-count is the task's attempt; the join refuses a missing branch", async () => {
    const file = project.fixture("spec-counter-branch.ts");
    const runId = "argo-counter-branch-partial";
    const start = ok(await pod(file, "start", runId, ["--retry-count", "1"]));
    const run = runOf("CounterBranchFlow", runId);
    expect(run.step("start").task.currentAttempt).toBe(1);
    const one = ok(await pod(file, "add_one", runId, ["--input-paths", `start/${start}`]));
    const join = await pod(file, "join", runId, ["--input-paths", `add_one/${one}`]);
    expect(join.code).toBe(1);
    expect(join.stderr).toMatch(/join 'join' needs the 2 tasks of split start\/t-[0-9a-f]+, got 1/);
  });
});

describe("step: a foreach, pod by pod", () => {
  it("fans out over split-indices, joins Argo's aggregate, and matches `run`", async () => {
    const file = project.fixture("foreach.ts");
    const runId = "argo-foreach-1";
    const start = await pod(file, "start", runId);
    const startId = ok(start);
    expect(start.splitIndices).toBe("[0,1,2]");
    const indices = JSON.parse(start.splitIndices!) as number[];
    const children = await Promise.all(
      indices.map((i) => pod(file, "analyze", runId, ["--input-paths", `start/${startId}`, "--split-index", String(i)])),
    );
    const ids = children.map(ok);
    expect(new Set(ids).size).toBe(3);
    // Argo's aggregate of the fanned-out tasks' output parameters (order not guaranteed).
    const aggregate = JSON.stringify([...ids].reverse().map((id) => ({ "task-id": id })));
    const pick = await pod(file, "pick", runId, ["--input-paths", `analyze/:${aggregate}`]);
    const end = await pod(file, "end", runId, ["--input-paths", `pick/${ok(pick)}`]);
    expect(end.stdout).toContain("best: mouse");

    const run = runOf("ForeachFlow", runId);
    expect(run.successful).toBe(true);
    const analyze = run.step("analyze").tasks.sort((a, b) => a.index! - b.index!);
    expect(analyze.map((t) => t.data.creature)).toEqual(["bird", "mouse", "dog"]);
    expect(analyze.map((t) => t.id)).toEqual(ids);
    // The join's inputs in foreach order, whatever order Argo listed them in.
    expect(run.step("pick").task.parentTasks).toEqual(ids.map((id) => `ForeachFlow/${runId}/analyze/${id}`));

    const local = await localRun(file);
    expect(artifactsOf(run)).toEqual(artifactsOf(local));

    // A retried child keeps its task id.
    const retried = await pod(file, "analyze", runId, ["--input-paths", `start/${startId}`, "--split-index", "1", "--retry-count", "1"]);
    expect(ok(retried)).toBe(ids[1]);
  });

  it("a foreach wider than --max-num-splits fails its task and the run", async () => {
    const file = project.fixture("foreach.ts");
    const runId = "argo-foreach-too-wide";
    const start = await pod(file, "start", runId, ["--max-num-splits", "2"]);
    expect(start.code).toBe(1);
    expect(start.splitIndices).toBeUndefined();
    expect(start.stdout).toContain("yields 3 child steps, more than --max-num-splits (2)");
    const run = runOf("ForeachFlow", runId);
    expect(run.finished).toBe(true);
    expect(run.successful).toBe(false);
    expect(run.step("start").task.successful).toBe(false);
  });
});

describe("step: failures and usage", () => {
  it("a failing task exits 1 and fails the run, with its error in the task's stderr", async () => {
    const file = project.fixture("failing.ts");
    const runId = "argo-failing";
    const start = ok(await pod(file, "start", runId));
    const check = await pod(file, "check", runId, ["--input-paths", `start/${start}`]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("count 3 is too small");
    const run = new Run(`FailingFlow/${runId}`, project.reader());
    expect(run.finished).toBe(true);
    expect(run.successful).toBe(false);
    expect(run.record.failedStep).toBe("check");
    const task = run.step("check").task;
    expect(task.id).toBe(check.taskId);
    expect(task.successful).toBe(false);
    expect(task.stderr).toContain("RangeError: count 3 is too small");
  });

  it("usage errors exit 2: no run id, a start with inputs, a step without them, an unknown step", async () => {
    const file = project.fixture("spec-counter-branch.ts");
    const noRun = await project.run([file, "step", "start"]);
    expect(noRun.code).toBe(2);
    expect(noRun.stderr).toContain("Missing option '--run-id'");
    const startInputs = await project.run([file, "step", "start", "--run-id", "argo-u", "--input-paths", "start/1"]);
    expect(startInputs.code).toBe(2);
    const noInputs = await project.run([file, "step", "add_one", "--run-id", "argo-u"]);
    expect(noInputs.code).toBe(2);
    expect(noInputs.stderr).toContain("--input-paths");
    const unknown = await project.run([file, "step", "nope", "--run-id", "argo-u"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("No step 'nope'");
    const noRunRecord = await project.run([file, "step", "add_one", "--run-id", "argo-missing", "--input-paths", "start/t-1"]);
    expect(noRunRecord.code).toBe(1);
    expect(noRunRecord.stderr).toContain("its start step creates it");
  });
});

/**
 * A small Argo: walks the generated WorkflowTemplate's DAGs in dependency order, substitutes its
 * {{...}} expressions the way Argo does (a fanned-out task's `outputs.parameters` is the JSON list
 * of its items' outputs) and runs each container's args as a pod, one at a time.
 */
async function runWorkflow(wf: ArgoWorkflowTemplate, workflowName: string): Promise<void> {
  const templates = new Map(wf.spec.templates.map((t) => [t.name, t]));
  const globals: Record<string, string> = { "workflow.name": workflowName };
  for (const p of wf.spec.arguments?.parameters ?? []) globals[`workflow.parameters.${p.name}`] = String(p.value);
  const subst = (text: string, vars: Record<string, string>) =>
    text.replace(/\{\{([^}]+)\}\}/g, (all, key: string) => {
      const v = vars[key.trim()] ?? globals[key.trim()];
      if (v === undefined) throw new Error(`unresolved ${all} in ${text}`);
      return v;
    });

  const exec = async (name: string, inputs: Record<string, string>): Promise<Record<string, string>> => {
    const t = templates.get(name)!;
    const vars = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`inputs.parameters.${k}`, v]));
    if (t.container) {
      const outputs = path.join(project.dir, "outputs", String(pods++));
      const args = t.container.args.map((a) => subst(a, vars).replace(OUTPUTS_DIR, outputs));
      const r = await project.run(args);
      if (r.code !== 0) throw new Error(`pod ${args.join(" ")} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
      return Object.fromEntries(
        (t.outputs?.parameters ?? []).map((p) => [p.name, readFileSync(p.valueFrom!.path!.replace(OUTPUTS_DIR, outputs), "utf8")]),
      );
    }
    const done = new Map<string, Record<string, string> | Record<string, string>[]>();
    const tasks = [...t.dag!.tasks];
    while (tasks.length) {
      const i = tasks.findIndex((d) => (d.dependencies ?? []).every((dep) => done.has(dep)));
      const task = tasks.splice(i, 1)[0]!;
      const taskVars: Record<string, string> = { ...vars };
      for (const [dep, out] of done) {
        if (Array.isArray(out)) taskVars[`tasks.${dep}.outputs.parameters`] = JSON.stringify(out);
        else for (const [k, v] of Object.entries(out)) taskVars[`tasks.${dep}.outputs.parameters.${k}`] = v;
      }
      const args = (item?: string) =>
        Object.fromEntries(
          (task.arguments?.parameters ?? []).map((p) => [
            p.name,
            subst(String(p.value), item === undefined ? taskVars : { ...taskVars, item }),
          ]),
        );
      if (task.withParam) {
        const items = JSON.parse(subst(task.withParam, taskVars)) as unknown[];
        const outs: Record<string, string>[] = [];
        for (const item of items) outs.push(await exec(task.template, args(String(item))));
        done.set(task.name, outs);
      } else {
        done.set(task.name, await exec(task.template, args()));
      }
    }
    const outVars: Record<string, string> = {};
    for (const [dep, out] of done)
      if (!Array.isArray(out)) for (const [k, v] of Object.entries(out)) outVars[`tasks.${dep}.outputs.parameters.${k}`] = v;
    return Object.fromEntries((t.outputs?.parameters ?? []).map((p) => [p.name, subst(p.valueFrom!.parameter!, outVars)]));
  };
  await exec(wf.spec.entrypoint, {});
}

describe("step: the generated WorkflowTemplate, run as Argo would", () => {
  it.each([
    ["nested-foreach.ts", "NestedForeachFlow", "wf-nested"],
    ["spec-counter-branch.ts", "CounterBranchFlow", "wf-branch"],
  ])("%s: every pod succeeds and the run matches `run`", async (name, flow, workflowName) => {
    const file = project.fixture(name);
    const graph = await loadGraph(file, project.dir);
    const { template } = buildWorkflowTemplate(graph, { maxWorkers: 4 });
    await runWorkflow(template, workflowName);
    const run = runOf(flow, `argo-${workflowName}`);
    expect(run.successful).toBe(true);
    const local = await localRun(file);
    expect(artifactsOf(run)).toEqual(artifactsOf(local));
  });
});
