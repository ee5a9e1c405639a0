/**
 * The tasks a step cell runs as: one, one per parent task (below a foreach), one per item of the
 * parent's list (a foreach cell, per parent task for nested foreach), or one join of every input.
 */
import type { ArtifactRef, Frame, TaskRecord } from "../../store/index.js";
import type { NotebookStep } from "../../notebooks/index.js";
import type { TaskSpec } from "../executor/index.js";
import { CELL_METHOD } from "./cell-module.js";
import { NotebookGraphProblem } from "./errors.js";

export interface TaskPlanInput {
  flow: string;
  runId: string;
  step: NotebookStep;
  /** The parents' newest (successful) tasks, in parent order. */
  parents: TaskRecord[];
  parameters: Record<string, ArtifactRef>;
  newTaskId(): string;
  /** The decoded value of an artifact (a foreach cell's list). */
  load(ref: ArtifactRef): unknown;
}

export function planTasks(input: TaskPlanInput): TaskSpec[] {
  const { step, parents, parameters } = input;
  const base = {
    flow: input.flow,
    runId: input.runId,
    step: step.name,
    parameterNames: Object.fromEntries(Object.keys(parameters).map((p) => [p, p])),
    stepNames: [step.name],
    method: CELL_METHOD,
  };
  const withParams = (refs: Record<string, ArtifactRef>) => ({ ...refs, ...parameters });
  if (step.isJoin) {
    const stack = parents[0]?.stack.slice(0, -1) ?? [];
    return [{ ...base, taskId: input.newTaskId(), stack, inputs: parents, isJoin: true, initial: withParams({}) }];
  }
  const iterates = step.iterates;
  if (iterates !== undefined) {
    return parents.flatMap((parent) => {
      const ref = parent.artifacts[iterates];
      if (!ref) {
        throw new NotebookGraphProblem(
          `step ${step.name} is a foreach over '${iterates}', which step ${parent.step} did not set: assign self.${iterates} there`,
        );
      }
      const list = input.load(ref);
      if (!Array.isArray(list)) {
        throw new NotebookGraphProblem(`step ${step.name} is a foreach over '${iterates}', which is ${ref.type}, not a list`);
      }
      return list.map((item, index): TaskSpec => {
        const frame: Frame = { kind: "foreach", step: parent.step, taskId: parent.taskId, index, count: list.length };
        return {
          ...base,
          taskId: input.newTaskId(),
          stack: [...parent.stack, frame],
          inputs: [parent],
          isJoin: false,
          initial: withParams(parent.artifacts),
          foreach: { input: item, index },
        };
      });
    });
  }
  if (parents.length === 0) return [{ ...base, taskId: input.newTaskId(), stack: [], inputs: [], isJoin: false, initial: withParams({}) }];
  return parents.map((parent) => ({
    ...base,
    taskId: input.newTaskId(),
    stack: parent.stack,
    inputs: [parent],
    isJoin: false,
    initial: withParams(parent.artifacts),
  }));
}
