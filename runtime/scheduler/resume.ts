/**
 * Which tasks a resumed run clones from its origin: every successful task of a step that is not
 * re-run. Matching is by step and foreach/branch position, so a foreach child that failed re-runs
 * while its successful siblings are cloned (by reference: no artifact bytes are copied).
 */
import type { Store, TaskLogs, TaskRecord } from "../../store/index.js";
import type { FlowGraph } from "../graph/types.js";

export interface CloneSource {
  record: TaskRecord;
  logs?: TaskLogs;
}

export interface ResumePlan {
  originRunId: string;
  /** The step re-running starts at. */
  fromStep: string;
  cloneSource(step: string, identity: string): CloneSource | undefined;
}

function identityOf(task: TaskRecord): string {
  return `${task.step}[${task.stack.map((f) => f.index).join(".")}]`;
}

/** Steps reachable from `step` (inclusive). */
export function stepsFrom(graph: FlowGraph, step: string): Set<string> {
  const byName = new Map(graph.steps.map((s) => [s.name, s]));
  const seen = new Set<string>();
  const stack = [step];
  while (stack.length) {
    const s = stack.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    stack.push(...(byName.get(s)?.next ?? []));
  }
  return seen;
}

export function planResume(
  store: Store,
  graph: FlowGraph,
  originRunId: string,
  fromStep: string,
  /** True when the user named no step: the failed step's successful tasks are cloned too. */
  keepSuccessfulOfFromStep: boolean,
): ResumePlan {
  const rerun = stepsFrom(graph, fromStep);
  const byIdentity = new Map<string, TaskRecord>();
  for (const task of store.listRunTasks(graph.name, originRunId)) {
    if (task.status === "succeeded") byIdentity.set(identityOf(task), task);
  }
  return {
    originRunId,
    fromStep,
    cloneSource(step, identity) {
      if (rerun.has(step) && !(keepSuccessfulOfFromStep && step === fromStep)) return undefined;
      const record = byIdentity.get(identity);
      if (!record) return undefined;
      return { record, logs: store.getLogs(record.flow, record.runId, record.step, record.taskId) };
    },
  };
}
