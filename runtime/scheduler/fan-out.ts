/**
 * What a finished task makes ready: the tasks of the steps after it (one per foreach item, one per
 * branch of a static split, the next step, or a join once its last input arrived).
 */
import type { ArtifactRef, Frame, TaskRecord } from "../../store/index.js";
import type { StepNode } from "../graph/index.js";
import type { JoinBuckets } from "./joins.js";
import { foreachSplit } from "./transitions.js";

/** A task ready to run (or to clone), not yet given its id. */
export interface PendingTask {
  step: string;
  stack: Frame[];
  inputs: TaskRecord[];
  initial: Record<string, ArtifactRef>;
  isJoin: boolean;
  foreach?: { input: unknown; index: number };
}

export interface FanOutContext {
  steps: Map<string, StepNode>;
  joins: JoinBuckets;
  /** Every join starts from the parameters and merges its inputs explicitly. */
  parameterRefs: Record<string, ArtifactRef>;
  maxNumSplits: number;
  loadBlob(sha: string): unknown;
}

/** The tasks `task` of `node` makes ready, or the problem to fail it with (a foreach that cannot fan out). */
export function fanOut(task: TaskRecord, node: StepNode, ctx: FanOutContext): { ready: PendingTask[] } | { problem: string } {
  const next = task.next;
  if (!next) return { ready: [] };
  if (next.foreach) {
    const split = foreachSplit(task, node, ctx.loadBlob, ctx.maxNumSplits);
    if ("problem" in split) return split;
    const count = split.list.length;
    return {
      ready: split.list.map((input, index) => ({
        step: next.steps[0]!,
        stack: [...task.stack, { kind: "foreach", step: node.name, taskId: task.taskId, index, count }],
        inputs: [task],
        initial: task.artifacts,
        isJoin: false,
        foreach: { input, index },
      })),
    };
  }
  if (next.steps.length > 1) {
    const count = next.steps.length;
    return {
      ready: next.steps.map((step, index) => ({
        step,
        stack: [...task.stack, { kind: "split", step: node.name, taskId: task.taskId, index, count }],
        inputs: [task],
        initial: task.artifacts,
        isJoin: false,
      })),
    };
  }
  const target = ctx.steps.get(next.steps[0]!)!;
  if (!target.isJoin) return { ready: [{ step: target.name, stack: task.stack, inputs: [task], initial: task.artifacts, isJoin: false }] };
  const joined = ctx.joins.arrive(target.name, task);
  if (!joined) return { ready: [] };
  return { ready: [{ step: target.name, stack: joined.stack, inputs: joined.inputs, initial: ctx.parameterRefs, isJoin: true }] };
}
