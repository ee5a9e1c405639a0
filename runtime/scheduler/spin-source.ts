/**
 * Which past task `spin` takes its inputs from, and the task spec that runs the step on them: the
 * same input tasks, foreach item and starting artifacts as that task had, with artifacts the user
 * overrides. The step's code is the flow file's as it is now.
 */
import { NotFoundError, UsageError } from "../../errors/index.js";
import { runPathspec, taskPathspec, type ArtifactRef, type Store, type TaskRecord } from "../../store/index.js";
import { taskSpecFromStore, type TaskSpec } from "../executor/index.js";
import type { FlowGraph, StepNode } from "../graph/index.js";
import { SPIN_TAG } from "./spin-tag.js";

/** The spun step and the past task whose inputs it runs on. */
export interface SpinSource {
  node: StepNode;
  task: TaskRecord;
}

function stepOf(graph: FlowGraph, step: string): StepNode {
  const node = graph.steps.find((s) => s.name === step);
  if (!node) throw new UsageError(`spin: '${step}' is not a step of ${graph.name}. Steps: ${graph.steps.map((s) => s.name).join(", ")}`);
  return node;
}

/** `RUN/STEP[/TASK]` or `FLOW/RUN/STEP/TASK`, as a place in this flow. */
function parsePath(graph: FlowGraph, path: string): { runId: string; step: string; taskId?: string } {
  const parts = path.split("/").filter(Boolean);
  if (parts.length === 4 && parts[0] !== graph.name) {
    throw new UsageError(`spin: ${path} is a task of flow ${parts[0]}, but this file's flow is ${graph.name}`);
  }
  const [runId, step, taskId] = parts.length === 4 ? parts.slice(1) : parts;
  if (parts.length < 2 || parts.length > 4 || !runId || !step) {
    throw new UsageError(`spin takes STEP, RUN/STEP/TASK or ${graph.name}/RUN/STEP/TASK, got '${path}'`);
  }
  return { runId, step, taskId };
}

/** The task of `path`, or of `step` in the latest successful run (its first task, for a foreach step). */
export function spinSource(store: Store, graph: FlowGraph, step: string | undefined, path?: string): SpinSource {
  if (path !== undefined) {
    const at = parsePath(graph, path);
    if (step !== undefined && step !== at.step) {
      throw new UsageError(`spin: ${path} is a task of step ${at.step}, not of ${step}: spin ${at.step}, or name a task of ${step}`);
    }
    const node = stepOf(graph, at.step);
    if (!store.getRun(graph.name, at.runId))
      throw new NotFoundError(`spin: run ${runPathspec({ flow: graph.name, runId: at.runId })} does not exist`);
    const tasks = store.listTasks(graph.name, at.runId, at.step);
    const task = at.taskId === undefined ? tasks[0] : tasks.find((t) => t.taskId === at.taskId);
    if (!task) {
      const known = tasks.map((t) => t.taskId).join(", ") || "none";
      throw new NotFoundError(
        `spin: ${graph.name}/${at.runId}/${at.step}${at.taskId ? `/${at.taskId}` : ""} is not a task (tasks of that step: ${known})`,
      );
    }
    return { node, task };
  }
  if (step === undefined) throw new UsageError(`spin takes a step: spin STEP or spin RUN/STEP/TASK`);
  const node = stepOf(graph, step);
  for (const run of store.listRuns(graph.name)) {
    if (run.status !== "succeeded" || run.tags.includes(SPIN_TAG)) continue;
    const task = store.listTasks(graph.name, run.runId, step)[0];
    if (task) return { node, task };
  }
  throw new NotFoundError(
    `spin: no successful run of ${graph.name} has a task of step ${step}: run the flow first, or name a past task: spin RUN/STEP/TASK`,
  );
}

/** The spec that runs `source.node` in run `runId` on the inputs `source.task` had, with `overrides` replacing artifacts it starts from. */
export function spinSpec(
  store: Store,
  graph: FlowGraph,
  source: SpinSource,
  runId: string,
  overrides: Record<string, ArtifactRef>,
): TaskSpec {
  const { node, task } = source;
  const stepOfTask = new Map(store.listRunTasks(task.flow, task.runId).map((t) => [t.taskId, t.step]));
  const inputs = task.inputs.map((taskId) => {
    const step = stepOfTask.get(taskId);
    if (!step) throw new NotFoundError(`spin: input task ${taskId} of ${taskPathspec(task)} is not in the datastore`);
    return { step, taskId };
  });
  const parent = inputs.length === 1 ? store.getTask(task.flow, task.runId, inputs[0]!.step, inputs[0]!.taskId) : undefined;
  const frame = task.stack.at(-1);
  const isForeachChild = !node.isJoin && parent?.next?.foreach !== undefined && frame?.kind === "foreach";
  const spec = taskSpecFromStore(store, {
    flow: task.flow,
    runId: task.runId,
    step: node.name,
    taskId: task.taskId,
    stack: task.stack,
    inputs,
    isJoin: node.isJoin,
    foreachIndex: isForeachChild ? frame.index : undefined,
    parameterNames: Object.fromEntries(graph.parameters.map((p) => [p.field, p.name])),
    stepNames: graph.steps.map((s) => s.name),
  });
  return { ...spec, runId, taskId: "1", initial: { ...spec.initial, ...overrides } };
}
