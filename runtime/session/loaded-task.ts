/**
 * `%load PATHSPEC`: a past task's inputs, as the scratch cells after it see them — what the task
 * started from (its parent's artifacts; for a start or a join, the run's parameters, and a join's
 * inputs) and its foreach item — so that a failed task's exact inputs open in a cell, where its
 * code can be fixed. The task may come from any run of any flow: a flow file's or a notebook's.
 */
import { NotFoundError, UsageError } from "../../errors/index.js";
import { runPathspec, taskPathspec, type ArtifactRef, type Store, type StoreReader, type TaskRecord } from "../../store/index.js";
import type { TaskRequest } from "../sandbox/index.js";
import { CELL_METHOD } from "./cell-module.js";

export interface LoadedTask {
  task: TaskRecord;
  pathspec: string;
  /** What `self` holds: the artifacts the task started from. */
  initial: Record<string, ArtifactRef>;
  /** The run's parameters (artifact names): bare names in the cells, as in the notebook's own cells. */
  parameters: string[];
  isJoin: boolean;
  /** The input tasks (the parent, or each input of a join). */
  inputs: TaskRecord[];
  /** The foreach item the task was given, and where it came from. */
  foreach?: { input: unknown; index: number; count: number; over: string };
}

/** Where the session's own foreach cells take their lists from, for tasks of its notebook runs (whose parents' records do not say). */
export type ForeachOf = (flow: string, step: string) => string | undefined;

/** The task `at` names (FLOW/RUN/STEP/TASK, RUN/STEP/TASK of `flow`, or FLOW/RUN/STEP of a step with one task), loaded. */
export function loadTask(store: Store, reader: StoreReader, at: string, flow: string, foreachOf: ForeachOf): LoadedTask {
  const task = findTask(store, at, flow);
  const run = store.getRun(task.flow, task.runId)!;
  const byId = new Map(store.listRunTasks(task.flow, task.runId).map((t) => [t.taskId, t]));
  const inputs = task.inputs.map((id) => {
    const input = byId.get(id);
    if (!input) throw new NotFoundError(`%load: input task ${id} of ${taskPathspec(task)} is not in the datastore`);
    return input;
  });
  // A join of a foreach ends the split: its inputs are one frame deeper than itself.
  const isJoin = inputs.length > 1 || (inputs.length === 1 && inputs[0]!.stack.length > task.stack.length);
  const parent = !isJoin ? inputs[0] : undefined;
  return {
    task,
    pathspec: taskPathspec(task),
    initial: parent ? parent.artifacts : run.parameters,
    parameters: Object.keys(run.parameters),
    isJoin,
    inputs,
    foreach: parent ? foreachItem(reader, task, parent, foreachOf) : undefined,
  };
}

function findTask(store: Store, at: string, flow: string): TaskRecord {
  const parts = at.split("/").filter(Boolean);
  const usage = `%load takes a task: FLOW/RUN/STEP/TASK, or RUN/STEP/TASK of flow ${flow} (got '${at}')`;
  if (parts.length < 3 || parts.length > 4) throw new UsageError(usage);
  // Three parts name a step of another flow when that flow has that run; else a task of this flow.
  const asStep = parts.length === 3 && store.getRun(parts[0]!, parts[1]!) !== undefined;
  const [flowName, runId, step, taskId] = parts.length === 4 || asStep ? parts : [flow, ...parts];
  if (!store.getRun(flowName!, runId!)) {
    throw new NotFoundError(
      `%load: run ${runPathspec({ flow: flowName!, runId: runId! })} is not in the datastore (%runs ${flowName} lists its runs)`,
    );
  }
  const tasks = store.listTasks(flowName!, runId!, step!);
  const ids = tasks.map((t) => t.taskId).join(", ");
  if (taskId === undefined) {
    if (tasks.length === 1) return tasks[0]!;
    throw new UsageError(
      `%load: step ${step} of ${flowName}/${runId} has ${tasks.length ? `tasks ${ids}` : "no task"}: name one, ${flowName}/${runId}/${step}/TASK`,
    );
  }
  const task = tasks.find((t) => t.taskId === taskId);
  if (!task) throw new NotFoundError(`%load: ${flowName}/${runId}/${step}/${taskId} is not a task (tasks of that step: ${ids || "none"})`);
  return task;
}

/** The item of a foreach child: its parent's list (named in the parent's record, or by the session's cell) at its index. */
function foreachItem(reader: StoreReader, task: TaskRecord, parent: TaskRecord, foreachOf: ForeachOf): LoadedTask["foreach"] {
  const frame = task.stack.at(-1);
  if (frame?.kind !== "foreach" || frame.taskId !== parent.taskId || frame.step !== parent.step) return undefined;
  const over = parent.next?.foreach ?? foreachOf(task.flow, task.step);
  const ref = over === undefined ? undefined : parent.artifacts[over];
  if (over === undefined || !ref) {
    throw new NotFoundError(
      `%load: ${taskPathspec(task)} is item ${frame.index} of a foreach whose list is not known here ` +
        `(its parent's record does not name it, and no cell of this notebook is step ${task.step})`,
    );
  }
  const list = reader.loadBlob(ref.sha);
  if (!Array.isArray(list) || frame.index >= list.length) {
    throw new NotFoundError(`%load: item ${frame.index} of '${over}' of ${taskPathspec(parent)} is not in that list`);
  }
  return { input: list[frame.index], index: frame.index, count: list.length, over };
}

/** The sandbox request of a scratch cell that sees `loaded`'s inputs as self. */
export function loadedRequest(loaded: LoadedTask): TaskRequest {
  const shas = (refs: Record<string, ArtifactRef>) => Object.fromEntries(Object.entries(refs).map(([n, r]) => [n, r.sha]));
  return {
    flow: loaded.task.flow,
    step: loaded.task.step,
    pathspec: loaded.pathspec,
    initial: shas(loaded.initial),
    parameters: Object.fromEntries(loaded.parameters.map((p) => [p, p])),
    inputs: loaded.isJoin
      ? loaded.inputs.map((t) => ({ pathspec: taskPathspec(t), step: t.step, artifacts: shas(t.artifacts) }))
      : undefined,
    foreach: loaded.foreach ? { input: loaded.foreach.input, index: loaded.foreach.index } : undefined,
    steps: [loaded.task.step],
    method: CELL_METHOD,
  };
}
