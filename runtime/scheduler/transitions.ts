/**
 * What a finished task's transition must satisfy, wherever the DAG is driven from (the local
 * scheduler, or Argo running one `step` pod per task): the step's static transition, and for a
 * foreach a non-empty list no wider than --max-num-splits.
 */
import type { TaskRecord } from "../../store/index.js";
import type { StepNode } from "../graph/index.js";
import { RuntimeGraphError } from "./errors.js";

/** Checks the transition a task of `node` took against the static graph; throws to fail the task. */
export function transitionChecker(node: StepNode): (next: TaskRecord["next"]) => void {
  return (next) => {
    if (node.type === "end" || node.next.length === 0) {
      if (next) throw new RuntimeGraphError(`Step '${node.name}' is the end step and cannot call next()`);
      return;
    }
    if (!next) {
      throw new RuntimeGraphError(`Step '${node.name}' finished without calling this.next(...): its last statement must be a transition`);
    }
    const same = next.steps.join(",") === node.next.join(",") && (next.foreach ?? "") === (node.foreach ?? "");
    if (!same) {
      const said = `${next.steps.join(", ")}${next.foreach ? ` (foreach ${next.foreach})` : ""}`;
      const graphSays = `${node.next.join(", ")}${node.foreach ? ` (foreach ${node.foreach})` : ""}`;
      throw new RuntimeGraphError(
        `Step '${node.name}' called next() with ${said}, but its source says ${graphSays}. A step's transition cannot change at run time.`,
      );
    }
  };
}

/** The items a foreach task fans out over, or the message to fail it with. */
export function foreachSplit(
  task: TaskRecord,
  node: StepNode,
  loadBlob: (sha: string) => unknown,
  maxNumSplits: number,
): { list: unknown[] } | { problem: string } {
  const over = task.next?.foreach;
  if (!over) return { problem: `Step '${node.name}' did not take a foreach transition` };
  const ref = task.artifacts[over];
  if (!ref)
    return { problem: `Foreach in step '${node.name}' is over '${over}', which this step does not have: assign this.${over} first` };
  const list = loadBlob(ref.sha);
  if (!Array.isArray(list)) return { problem: `Foreach in step '${node.name}' needs a list in '${over}', got ${ref.type}` };
  if (list.length === 0)
    return { problem: `Foreach in step '${node.name}' is over '${over}', which is empty: there must be at least one item` };
  if (list.length > maxNumSplits) {
    return {
      problem:
        `Foreach in step '${node.name}' yields ${list.length} child steps, more than --max-num-splits (${maxNumSplits}). ` +
        `Raise it with --max-num-splits ${list.length} (or STEPLAB_RUN_MAX_NUM_SPLITS).`,
    };
  }
  return { list };
}
