/**
 * `resume`: which run to resume, from which step, and which of its tasks the new run clones.
 * Every successful task of a step that is not re-run is cloned, matched by step and foreach/branch
 * position, so a foreach child that failed re-runs while its successful siblings are cloned — by
 * reference: a clone points at the origin's blobs and copies no artifact bytes.
 */
import { decodeArtifact, type Frame, type Store, type TaskLogs, type TaskRecord } from "../../store/index.js";
import { UsageError } from "../../errors/index.js";
import { reachableFrom } from "../support/index.js";
import type { FlowGraph } from "../graph/index.js";
import { SPIN_TAG } from "./spin-tag.js";

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

export interface ResumeRequest {
  /** Re-run from this step; default: the origin's first failed step (or first step that never ran). */
  step?: string;
  /** Default: the latest run of the flow, of any kind (a resume too), that has tasks. */
  originRunId?: string;
}

export interface ResolvedResume {
  plan: ResumePlan;
  /** The origin's parameter values: a resumed run cannot change them. */
  parameters: Record<string, unknown>;
}

/** A task's place in a run by step and split positions: what a resumed run matches its clones by. */
export function frameIdentity(step: string, stack: Frame[]): string {
  return `${step}[${stack.map((f) => f.index).join(".")}]`;
}

/** Steps reachable from `step` (inclusive). */
export function stepsFrom(graph: FlowGraph, step: string): Set<string> {
  return reachableFrom(graph.steps, step);
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
    if (task.status === "succeeded") byIdentity.set(frameIdentity(task.step, task.stack), task);
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

/** A step named on `resume` must be a step of the flow; the error lists them. */
export function checkResumeStep(graph: FlowGraph, step: string | undefined): void {
  if (step !== undefined && !graph.steps.some((s) => s.name === step)) {
    throw new UsageError(`resume: step '${step}' is not a step of ${graph.name}. Steps: ${graph.steps.map((s) => s.name).join(", ")}`);
  }
}

/**
 * Picks the origin and the step to re-run from, as `steplab FLOW.ts resume [STEP] [--origin-run-id ID]`
 * does. Errors name what the user can type instead.
 */
export function resolveResume(store: Store, graph: FlowGraph, request: ResumeRequest = {}): ResolvedResume {
  const { step } = request;
  checkResumeStep(graph, step);
  const runs = store.listRuns(graph.name);
  const known = () =>
    runs
      .slice(0, 10)
      .map((r) => r.runId)
      .join(", ") || "(none)";
  // Metaflow skips resumed runs here, so consecutive resumes keep cloning the same broken run
  // (its issue #2848); the latest run with tasks is the one a user just looked at.
  // A `spin --persist` scratch run holds one task: never an origin unless named.
  const originRunId =
    request.originRunId ?? runs.find((r) => !r.tags.includes(SPIN_TAG) && store.listRunTasks(graph.name, r.runId).length > 0)?.runId;
  if (originRunId === undefined) {
    throw new UsageError(`resume: ${graph.name} has no run to resume yet. Run it first: steplab FLOW.ts run`);
  }
  const origin = store.getRun(graph.name, originRunId);
  if (!origin) throw new UsageError(`resume: run ${graph.name}/${originRunId} does not exist. Runs (newest first): ${known()}`);

  const tasks = store.listRunTasks(graph.name, originRunId);
  const failedStep = tasks.find((t) => t.status !== "succeeded")?.step;
  const neverRan = graph.steps.find((s) => !tasks.some((t) => t.step === s.name))?.name;
  const fromStep = step ?? failedStep ?? neverRan ?? "end";
  const parameters = Object.fromEntries(
    Object.entries(origin.parameters).map(([name, ref]) => [name, decodeArtifact(store.getBlob(ref.sha))]),
  );
  return { plan: planResume(store, graph, originRunId, fromStep, step === undefined), parameters };
}
