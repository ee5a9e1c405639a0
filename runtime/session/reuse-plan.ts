/**
 * What %rerun will do with each step that is not up to date, as %stale tells it: reuse (each of its
 * tasks has an earlier task with the same key: the same cell code, parents' artifacts, foreach item
 * and options), run, or decide once its parents have run (a parent that runs may produce the same
 * artifacts, and then the step is reused: early cut-off). Nothing runs and nothing is written.
 */
import type { NotebookStep } from "../../notebooks/index.js";
import type { TaskRecord } from "../../store/index.js";
import { cellFingerprint } from "./cell-cache.js";
import type { CellRunner } from "./cell-runner.js";
import { compileStepCell } from "./step-cell.js";
import { planTasks } from "./task-plan.js";

import type { RerunVerdict } from "./types.js";

export type { RerunVerdict };

/** The verdict for each of `steps` (steps that are not up to date, parents first). */
export async function rerunVerdicts(runner: CellRunner, steps: readonly string[]): Promise<Map<string, RerunVerdict>> {
  const graph = runner.parts.cells.graph();
  const verdicts = new Map<string, RerunVerdict>();
  /** The tasks a step that will be reused will point at: its children's keys are computed from them. */
  const reusedTasks = new Map<string, TaskRecord[]>();
  for (const name of steps) {
    const step = graph.steps.find((s) => s.name === name);
    let parents: TaskRecord[] | undefined = [];
    for (const p of step?.parents ?? []) {
      const tasks = verdicts.has(p) ? reusedTasks.get(p) : runner.parts.run.successful(p);
      parents = tasks && parents ? [...parents, ...tasks] : undefined;
    }
    const found = step ? await reusableTasks(runner, step, parents).catch(() => "run" as const) : "run";
    if (Array.isArray(found)) reusedTasks.set(name, found);
    verdicts.set(name, Array.isArray(found) ? "reuse" : found);
  }
  return verdicts;
}

/**
 * The tasks `step`'s cell would reuse on `parents` (undefined: a parent has yet to run), or why not.
 * A cell that does not compile, or a foreach over something that is not a list, runs (and says why).
 */
async function reusableTasks(
  runner: CellRunner,
  step: NotebookStep,
  parents: TaskRecord[] | undefined,
): Promise<TaskRecord[] | "run" | "after parents"> {
  const { cells, cache, reader } = runner.parts;
  const cell = cells.stepCell(step.name);
  if (!cell) return "run";
  const { policy, bundle } = await compileStepCell(runner, cell, step);
  if (!cache.mayReuse(policy)) return "run";
  if (!parents) return "after parents";
  const specs = planTasks({
    flow: runner.flow,
    runId: "planned",
    step,
    parents,
    parameters: runner.parameters,
    newTaskId: () => "planned",
    load: (ref) => reader.loadBlob(ref.sha),
  });
  return cache.reusable(specs, policy, await cellFingerprint(bundle, step.iterates)) ?? "run";
}
