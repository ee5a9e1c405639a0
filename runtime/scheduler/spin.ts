/**
 * `spin`: runs one step on the inputs of a past task, with the flow file's code as it is now (a
 * unit test of one step, or a failed task re-run after a fix). The task runs in a scratch run:
 * kept in memory over the datastore, so the run history does not change, or with `persist` a run
 * of its own tagged `spin`.
 */
import { currentUsername } from "../support/index.js";
import { ScratchStore, type ArtifactRef, type RunRecord, type Store, type TaskRecord } from "../../store/index.js";
import { LocalExecutor, SandboxPool, storeValues, type TaskExecution } from "../executor/index.js";
import type { FlowGraph } from "../graph/index.js";
import type { RunConsole, TaskLabel } from "./console.js";
import { spinSource, spinSpec } from "./spin-source.js";
import { SPIN_TAG } from "./spin-tag.js";
import { consoleTask, stepPolicy } from "./task-console.js";
import { transitionChecker } from "./transitions.js";

export interface SpinRequest {
  /** The datastore the past task is in (and the spin run, with `persist`). */
  store: Store;
  graph: FlowGraph;
  /** The step to run; may be left out when `from` names a task. */
  step?: string;
  /** The past task whose inputs to use: RUN/STEP/TASK or FLOW/RUN/STEP/TASK (default: the step's task in the latest successful run). */
  from?: string;
  /** Artifacts the task starts from, by name, replacing the past task's. */
  artifacts?: Record<string, unknown>;
  persist?: boolean;
  /** Where the task's lines go (the command line); without it the task's output is only kept in its logs. */
  console?: RunConsole;
  /** Told the past task once it is found, before the step runs. */
  onSource?(task: TaskRecord): void;
}

export interface SpinOutcome {
  /** Where the spun task is: a scratch store over the datastore, or the datastore itself (persist). */
  store: Store;
  record: TaskRecord;
  /** The past task whose inputs it ran on. */
  source: TaskRecord;
  /** The artifacts the task started from (the past task's, with the overrides). */
  initial: Record<string, ArtifactRef>;
  error?: Error;
}

export async function spinStep(req: SpinRequest): Promise<SpinOutcome> {
  const { graph } = req;
  const source = spinSource(req.store, graph, req.step, req.from);
  req.onSource?.(source.task);
  const store = req.persist ? req.store : new ScratchStore(req.store);
  const policy = stepPolicy(source.node);
  // A `process` step's child reads its inputs from the datastore itself, not from the scratch store.
  const overridesGoTo = source.node.options.isolation === "process" ? req.store : store;
  const overrides = await storeValues(overridesGoTo, req.artifacts ?? {});
  const origin = req.store.getRun(graph.name, source.task.runId)!;
  const run: RunRecord = {
    flow: graph.name,
    runId: store.newRunId(),
    status: "running",
    tags: [`user:${currentUsername()}`, SPIN_TAG],
    parameters: { ...origin.parameters, ...Object.fromEntries(Object.entries(overrides).filter(([n]) => n in origin.parameters)) },
    createdAt: Date.now(),
    source: graph.file,
    pid: process.pid,
  };
  await store.putRun(run);
  const spec = spinSpec(req.store, graph, source, run.runId, overrides);
  const label: TaskLabel = { runId: run.runId, step: spec.step, taskId: spec.taskId, pid: process.pid };
  const io: TaskExecution & { flush?(): void } = req.console
    ? consoleTask(req.console, label, source.node)
    : { onOutput: () => undefined, checkTransition: transitionChecker(source.node) };
  const executor = new LocalExecutor({ store, sandboxes: new SandboxPool(graph.file, graph.name, req.store.root) });
  const finish = (failed: boolean) =>
    store.putRun({ ...run, status: failed ? "failed" : "succeeded", finishedAt: Date.now(), failedStep: failed ? spec.step : undefined });
  try {
    await executor.prepare([policy]);
    const outcome = await executor.execute(spec, policy, io);
    io.flush?.();
    if (!outcome.error && !outcome.record.caught) {
      req.console?.taskSystem({ ...label, pid: outcome.record.pid ?? label.pid }, "Task finished successfully.");
    }
    await finish(outcome.error !== undefined);
    return { store, record: outcome.record, source: source.task, initial: spec.initial, error: outcome.error };
  } catch (err) {
    await finish(true);
    throw err;
  } finally {
    await executor.close();
  }
}
