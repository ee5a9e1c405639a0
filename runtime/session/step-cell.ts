/**
 * A step cell, run: check that it can be a step and that its parents have successful tasks, plan
 * its tasks (one, per foreach item, a join), run each through the executor with the cell's step
 * options (isolation, memory, timeout, retries, catch), and record what they left — succeeded or
 * failed — so that the run's status and its children's inputs stay honest.
 */
import type { TaskLogs, TaskRecord } from "../../store/index.js";
import { taskPathspec } from "../../store/index.js";
import type { NotebookStep } from "../../notebooks/index.js";
import type { FlowBundle } from "../bundle/index.js";
import type { AttemptFailure, StepPolicy, TaskSpec } from "../executor/index.js";
import { cellLocals } from "./cell-locals.js";
import { transformBody, type CellModule } from "./cell-module.js";
import { replayReused } from "./cell-output.js";
import type { CellRunner } from "./cell-runner.js";
import type { SessionCell } from "./cells.js";
import { valueBundle } from "./display.js";
import { ImportInStepCellError, NotebookGraphProblem, ParentNotReadyError } from "./errors.js";
import { planTasks } from "./task-plan.js";
import type { CellSink, ExecuteOutcome, Progress } from "./types.js";

export async function runStepCell(runner: CellRunner, cell: SessionCell, sink: CellSink): Promise<ExecuteOutcome> {
  const { cells, run } = runner.parts;
  const graph = cells.graph();
  const problems = graph.errors.filter((e) => e.cell === cell.number);
  if (problems.length) throw new NotebookGraphProblem(problems.map((p) => p.message.replace(/^cell \d+/, cells.label(cell))).join("\n"));
  const step = graph.steps.find((s) => s.cell === cell.number)!;
  refuseImports(runner, cell, step);
  const parents = parentTasks(runner, cell, step);

  const record = await run.ensure({ flow: runner.flow, parameters: runner.parameters, source: runner.parts.notebookPath });
  const { policy, module, bundle } = await compileStepCell(runner, cell, step);
  if (bundle.target === "process") runner.parts.sandboxes.loadProcessBundle(bundle);
  else runner.parts.sandboxes.loadBundle(bundle);
  await runner.parts.cache.prepare(policy, bundle, step.iterates);

  const specs = planTasks({
    flow: record.flow,
    runId: record.runId,
    step,
    parents,
    parameters: runner.parameters,
    newTaskId: () => run.newTaskId(),
    load: (ref) => runner.parts.reader.loadBlob(ref.sha),
  });
  const values: unknown[] = [];
  let hasValue = false;
  const done: TaskRecord[] = [];
  const progress = progressOf(sink, `step ${step.name}`, specs.length);
  try {
    // Interrupted while the cell was being compiled: nothing ran.
    runner.stopIfInterrupted(step.name);
    for (const [i, spec] of specs.entries()) {
      if (runner.interrupted) {
        // Between two foreach tasks: the step did not finish.
        run.recordStep(step.name, done, true, parents);
        await run.sync(cells.graph());
        runner.stopIfInterrupted(step.name);
      }
      progress(done.length, false);
      const outcome = await runTask(runner, spec, policy, sink, (v) => {
        values[i] = v;
        hasValue = true;
      });
      done.push(outcome.record);
      if (outcome.error) {
        progress(done.length - 1, true, true);
        run.recordStep(step.name, done, true, parents);
        await run.sync(cells.graph());
        throw runner.explain(outcome.error, module, cell, step.name);
      }
    }
  } finally {
    runner.parts.language.rememberLocals(cell.number, step.name, cellLocals(cell.directives.code));
  }
  progress(done.length, true);
  run.recordStep(step.name, done, false, parents);
  runner.currentStep = step.name;
  await run.sync(cells.graph());
  return {
    status: "ok",
    step: step.name,
    taskPathspec: taskPathspec(done.at(-1)!),
    result: hasValue ? valueBundle(specs.length === 1 ? values[0] : values) : undefined,
  };
}

/** What a step cell runs: its step policy (name, cell options), its module and that module's bundle. */
export async function compileStepCell(
  runner: CellRunner,
  cell: SessionCell,
  step: NotebookStep,
): Promise<{ policy: StepPolicy; module: CellModule; bundle: FlowBundle }> {
  const policy: StepPolicy = { name: step.name, options: step.directives.options ?? {} };
  const forProcess = policy.options.isolation === "process";
  const module = runner.module(cell, step.isJoin, forProcess);
  const bundle = forProcess ? await runner.parts.bundles.forProcess(module) : await runner.parts.bundles.forIsolate(module);
  return { policy, module, bundle };
}

/**
 * One task, its retries and catch reported in the cell's output as a flow run reports them; a
 * reused task shows what the task it reuses showed, under a line that says so.
 */
async function runTask(runner: CellRunner, spec: TaskSpec, policy: StepPolicy, sink: CellSink, onResult: (v: unknown) => void) {
  let value: { of: unknown } | undefined;
  const io = runner.io(sink, (v) => {
    value = { of: v };
    onResult(v);
  });
  let reused: { from: string; logs?: TaskLogs } | undefined;
  const outcome = await runner.parts.executor.execute(spec, policy, {
    onOutput: (stream, text) => io.output(stream, text),
    onReused: (from, logs) => {
      reused = { from, logs };
    },
    cellValue: () => value,
    // The task keeps what it displays (its card); the cell shows it now.
    onDisplay: (bundle, options) => sink.display(bundle, options),
    onAttemptFailed: (failure: AttemptFailure) => {
      if (failure.then === "fail") return;
      sink.stderr(`${failure.error.name}: ${failure.error.message}\n`);
      if (failure.then === "retry") sink.stderr(`Retrying (attempt ${failure.attempt + 2} of ${failure.attempts}).\n`);
      else sink.stderr(`The exception is kept in artifact '${failure.caughtAs}' (catch): the cell counts as succeeded.\n`);
    },
    notebook: io,
  });
  if (reused) replayReused(sink, runner.parts.reader, { ...reused, record: outcome.record }, onResult);
  return outcome;
}

/** Imports belong in a setup cell: `%export` and `convert` say so too, so the cell says it now. */
function refuseImports(runner: CellRunner, cell: SessionCell, step: NotebookStep): void {
  const { imports, importLines } = transformBody(cell.directives.body);
  if (imports.length === 0) return;
  const line = importLines[0]! + cell.directives.bodyLine - 1;
  throw new ImportInStepCellError(`${runner.parts.cells.label(cell)} (step ${step.name})`, line, imports[0]!.split("\n")[0]!);
}

/** The parents' newest tasks; a parent without a successful one stops the cell, naming its cell. */
function parentTasks(runner: CellRunner, cell: SessionCell, step: NotebookStep): TaskRecord[] {
  const { cells, run } = runner.parts;
  const tasks: TaskRecord[] = [];
  for (const parent of step.parents) {
    const ok = run.successful(parent);
    if (ok) {
      tasks.push(...ok);
      continue;
    }
    throw new ParentNotReadyError(`${cells.label(cell)} (step ${step.name}) follows ${whyNotReady(runner, parent)}`);
  }
  return tasks;
}

/**
 * Why `parent` has no successful task, down to the step to fix: a parent that has not run because
 * its own parent failed points at that one.
 */
function whyNotReady(runner: CellRunner, parent: string): string {
  const { cells, run } = runner.parts;
  const name = (step: string) => {
    const c = cells.stepCell(step);
    return c ? `${cells.label(c)} (step ${step})` : `step ${step}`;
  };
  const byName = new Map(cells.graph().steps.map((s) => [s.name, s]));
  // The nearest step upstream that failed, or that has not run although its parents have.
  let blocker = parent;
  for (const seen = new Set<string>(); !seen.has(blocker) && !run.newest(blocker); ) {
    seen.add(blocker);
    const next = byName.get(blocker)?.parents.find((p) => !run.successful(p));
    if (next === undefined) break;
    blocker = next;
  }
  const failed = run.newest(blocker)?.failed === true;
  const fix = failed ? `Fix ${name(blocker)} and run it again` : `Run ${name(blocker)}`;
  const then = blocker === parent ? "then this cell" : "then the cells after it (%rerun runs them in order)";
  const state = failed ? "its last run failed" : "it has not run";
  return blocker === parent
    ? `${name(parent)}, which has no successful task: ${state}. ${fix}, ${then}.`
    : `${name(parent)}, which has not run because ${name(blocker)} ${failed ? "failed" : "has not run"}. ${fix}, ${then}.`;
}

/** One progress display per cell, updated in place, ending at the final count. */
function progressOf(sink: CellSink, label: string, total: number) {
  const startedAt = Date.now();
  return (done: number, finished: boolean, failed = false): void => {
    const p: Progress = { label, done, total, startedAt, finished, ...(failed ? { failed } : {}) };
    sink.progress?.(p);
  };
}
