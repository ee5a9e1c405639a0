/**
 * A task whose inputs are already in the datastore, named by step and task id (a queued job, an
 * Argo pod): read its input tasks, its foreach item and the run's parameters back into the
 * TaskSpec executeTask runs. Shared by `steplab worker` and `steplab FLOW.ts step`.
 */
import { decodeArtifact, runPathspec, taskPathspec, type Frame, type Store, type TaskRecord } from "../../store/index.js";
import { TaskInputError } from "./errors.js";
import type { TaskSpec } from "./types.js";

export interface StoredTask {
  flow: string;
  runId: string;
  step: string;
  taskId: string;
  stack: Frame[];
  /** Input tasks (the parent, or every branch of a join), by step and task id. */
  inputs: { step: string; taskId: string }[];
  isJoin: boolean;
  /** A foreach child's index; the item itself is read from the parent's artifact. */
  foreachIndex?: number;
  parameterNames: Record<string, string>;
  stepNames: string[];
  attempt?: number;
}

export interface StoredTaskOptions {
  /** Decodes a foreach list by blob sha (a worker caches them: every child reads the same list). */
  loadList?(sha: string): unknown;
}

/** The input task records, in the order given; throws if one is not in the datastore. */
export function readInputTasks(store: Store, task: Pick<StoredTask, "flow" | "runId" | "step" | "taskId" | "inputs">): TaskRecord[] {
  return task.inputs.map((i) => {
    const input = store.getTask(task.flow, task.runId, i.step, i.taskId);
    if (!input) {
      throw new TaskInputError(`input task ${taskPathspec({ ...task, ...i })} of ${taskPathspec(task)} is not in the datastore`);
    }
    return input;
  });
}

/** The foreach list a child's parent split over, or throws. */
export function foreachListOf(store: Store, parent: TaskRecord | undefined, of: string, opts: StoredTaskOptions = {}): unknown[] {
  const over = parent?.next?.foreach;
  const ref = over ? parent.artifacts[over] : undefined;
  if (!ref) throw new TaskInputError(`the foreach parent of ${of} has no list to split over`);
  const list = opts.loadList ? opts.loadList(ref.sha) : decodeArtifact(store.getBlob(ref.sha));
  if (!Array.isArray(list)) throw new TaskInputError(`the foreach parent of ${of} split over '${over}', which is not a list`);
  return list;
}

export function taskSpecFromStore(store: Store, task: StoredTask, opts: StoredTaskOptions = {}): TaskSpec {
  const run = store.getRun(task.flow, task.runId);
  if (!run) throw new TaskInputError(`run ${runPathspec(task)} is not in the datastore ${store.root}`);
  const inputs = readInputTasks(store, task);
  let foreach: TaskSpec["foreach"];
  if (task.foreachIndex !== undefined) {
    const list = foreachListOf(store, inputs[0], taskPathspec(task), opts);
    if (task.foreachIndex >= list.length) {
      throw new TaskInputError(
        `foreach item ${task.foreachIndex} of ${taskPathspec(task)} is not in the parent's list (${list.length} items)`,
      );
    }
    foreach = { input: list[task.foreachIndex], index: task.foreachIndex };
  }
  return {
    flow: task.flow,
    runId: task.runId,
    step: task.step,
    taskId: task.taskId,
    stack: task.stack,
    inputs,
    isJoin: task.isJoin,
    // A join starts from the parameters and merges explicitly; any other task from its parent.
    initial: task.isJoin || inputs.length === 0 ? run.parameters : inputs[0]!.artifacts,
    foreach,
    parameterNames: task.parameterNames,
    stepNames: task.stepNames,
    attempt: task.attempt,
    run: { tags: run.tags, originRunId: run.originRunId },
  };
}
