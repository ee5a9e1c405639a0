/**
 * Runs a flow: a queue of ready tasks, at most `maxWorkers` executing at once. A foreach fans out
 * after its parent commits; a join waits for every sibling. The scheduler is the only writer of
 * run state. On a failure it starts nothing new, lets running tasks finish, and fails the run.
 */
import { runOwner, storeReader, taskPathspec, type RunRecord, type Store, type TaskRecord } from "../../store/index.js";
import {
  CachingExecutor,
  flowFileFingerprints,
  LocalExecutor,
  SandboxPool,
  storeValues,
  toTaskError,
  type TaskExecutor,
  type TaskSpec,
} from "../executor/index.js";
import type { FlowGraph, StepNode } from "../graph/index.js";
import { currentUsername } from "../support/index.js";
import type { RunConsole, TaskLabel } from "./console.js";
import { RuntimeGraphError } from "./errors.js";
import { fanOut, type FanOutContext, type PendingTask } from "./fan-out.js";
import { JoinBuckets } from "./joins.js";
import { frameIdentity, type CloneSource, type ResumePlan } from "./resume.js";
import { consoleTask, stepPolicy } from "./task-console.js";

export const DEFAULT_MAX_WORKERS = 16;
export const DEFAULT_MAX_NUM_SPLITS = 100;

export interface RunFlowOptions {
  store: Store;
  graph: FlowGraph;
  /** Parameter values by artifact (field) name, already typed by the caller. */
  parameters: Record<string, unknown>;
  console: RunConsole;
  tags?: string[];
  maxWorkers?: number;
  maxNumSplits?: number;
  resume?: ResumePlan;
  onProgress?(progress: { done: number; total: number; runId: string }): void;
  /**
   * Aborting stops running tasks (interrupt) and records the run as killed; the abort's reason,
   * when it is a signal's name (SIGTERM), is recorded as what stopped it.
   */
  signal?: AbortSignal;
  /** Where tasks run: by default in this process's sandboxes; the queue executor sends them to workers. */
  executor?: TaskExecutor;
  /**
   * The task cache: "reuse" (`run --cache`) reuses a task from any earlier run of the flow whose
   * cache key is unchanged; "record" (the default) only records this run's keys, so that a later
   * `--cache` run can reuse its tasks; "off" does neither.
   */
  cache?: TaskCacheMode;
}

export type TaskCacheMode = "reuse" | "record" | "off";

export interface RunOutcome {
  runId: string;
  status: "succeeded" | "failed" | "killed";
  failedStep?: string;
}

export async function runFlow(opts: RunFlowOptions): Promise<RunOutcome> {
  // Parameters are immutable artifacts every task starts with.
  const parameterRefs = await storeValues(opts.store, opts.parameters);
  const run: RunRecord = {
    flow: opts.graph.name,
    runId: opts.store.newRunId(),
    status: "running",
    tags: [...new Set([`user:${currentUsername()}`, ...(opts.tags ?? [])])],
    parameters: parameterRefs,
    createdAt: Date.now(),
    source: opts.graph.file,
    ...runOwner(),
    originRunId: opts.resume?.originRunId,
  };
  await opts.store.putRun(run);
  opts.console.system(`Workflow starting (run-id ${run.runId}):`);
  const scheduler = new RunScheduler(opts, run);
  await scheduler.runAll();
  return scheduler.finish();
}

/** One run's state while its tasks execute: the ready queue, what runs, the first failure. */
class RunScheduler {
  readonly #opts: RunFlowOptions;
  readonly #run: RunRecord;
  readonly #out: RunConsole;
  readonly #executor: TaskExecutor;
  readonly #fanOut: FanOutContext;
  readonly #maxWorkers: number;
  readonly #queue: PendingTask[];
  #nextTaskId = 1;
  #running = 0;
  #done = 0;
  #total = 1;
  #failure: { step: string; taskId: string } | undefined;
  /**
   * Clone commits are not awaited one by one: LMDB batches them in order (cloning a 1000-task run
   * takes a third of the time); the run waits for all of them before it records its end.
   */
  readonly #cloneCommits: Promise<void>[] = [];

  constructor(opts: RunFlowOptions, run: RunRecord) {
    const { store, graph } = opts;
    this.#opts = opts;
    this.#run = run;
    this.#out = opts.console;
    const executor = opts.executor ?? new LocalExecutor({ store, sandboxes: new SandboxPool(graph.file, graph.name, store.root) });
    const cache = opts.cache ?? "record";
    this.#executor =
      cache === "off"
        ? executor
        : new CachingExecutor(executor, { store, reuse: cache === "reuse", fingerprints: flowFileFingerprints(graph.file) });
    this.#maxWorkers = Math.max(1, opts.maxWorkers ?? DEFAULT_MAX_WORKERS);
    const reader = storeReader(store);
    this.#fanOut = {
      steps: new Map(graph.steps.map((s) => [s.name, s])),
      joins: new JoinBuckets(),
      parameterRefs: run.parameters,
      maxNumSplits: opts.maxNumSplits ?? DEFAULT_MAX_NUM_SPLITS,
      loadBlob: (sha) => reader.loadBlob(sha),
    };
    this.#queue = [{ step: "start", stack: [], inputs: [], initial: run.parameters, isJoin: false }];
  }

  /** Runs tasks until the queue is empty or a task failed and the running ones have finished. */
  async runAll(): Promise<void> {
    const onAbort = () => {
      this.#fail("(interrupted)", "-");
      this.#executor.interruptAll();
    };
    if (this.#opts.signal?.aborted) onAbort();
    this.#opts.signal?.addEventListener("abort", onAbort);
    try {
      await this.#executor.prepare(this.#opts.graph.steps.map(stepPolicy));
      await new Promise<void>((resolve) => this.#pump(resolve));
    } catch (err) {
      this.#out.note(`${(err as Error).message}`);
      this.#fail("start", "-");
    } finally {
      this.#opts.signal?.removeEventListener("abort", onAbort);
      // An executor the caller gave (the queue's) is the caller's to close.
      if (!this.#opts.executor) await this.#executor.close();
    }
    await Promise.all(this.#cloneCommits);
  }

  /** Records the run's end and prints Metaflow's closing lines. */
  async finish(): Promise<RunOutcome> {
    const { runId } = this.#run;
    const failure = this.#failure;
    const killed = this.#opts.signal?.aborted === true;
    const status = killed ? "killed" : failure ? "failed" : "succeeded";
    const reason: unknown = this.#opts.signal?.reason;
    const killedBy = killed && typeof reason === "string" ? reason : undefined;
    const failedStep = killed ? undefined : failure?.step;
    let recorded = true;
    try {
      await this.#opts.store.putRun({ ...this.#run, status, finishedAt: Date.now(), failedStep, ...(killedBy ? { killedBy } : {}) });
    } catch (err) {
      // The datastore refused the run's end (a full disk): say so, and end the run as failed.
      recorded = false;
      this.#out.note(`${(err as Error).message}`);
    }
    if (!recorded && status === "succeeded") {
      this.#out.system("Workflow failed.");
      return { runId, status: "failed" };
    }
    if (!failure) {
      this.#out.system("Done!");
      return { runId, status };
    }
    this.#out.system("Workflow failed.");
    if (killed) {
      this.#out.note(`    Run ${runId} was stopped${killedBy ? ` by ${killedBy}` : ""}: its running tasks were interrupted.`);
      return { runId, status };
    }
    this.#out.note(`    Step failure:\n    Step ${failure.step} (task-id ${failure.taskId}) failed.`);
    return { runId, status, failedStep: failure.step };
  }

  #fail(step: string, taskId: string): void {
    this.#failure ??= { step, taskId };
  }

  #pump(resolve: () => void): void {
    while (!this.#failure && this.#running < this.#maxWorkers && this.#queue.length > 0) {
      const pending = this.#queue.shift()!;
      this.#running++;
      this.#launch(pending)
        .catch((err) => {
          this.#out.note(`steplab: internal error while running ${pending.step}: ${(err as Error).stack ?? err}`);
          this.#fail(pending.step, "?");
        })
        .finally(() => {
          this.#running--;
          this.#done++;
          this.#opts.onProgress?.({ done: this.#done, total: this.#total, runId: this.#run.runId });
          this.#pump(resolve);
        });
    }
    if (this.#running === 0 && (this.#failure || this.#queue.length === 0)) resolve();
  }

  /** Runs (or, on resume, clones) one ready task, then queues what it makes ready. */
  async #launch(pending: PendingTask): Promise<void> {
    const node = this.#fanOut.steps.get(pending.step)!;
    const taskId = String(this.#nextTaskId++);
    const label: TaskLabel = { runId: this.#run.runId, step: node.name, taskId, pid: process.pid };
    const origin = this.#opts.resume?.cloneSource(node.name, frameIdentity(node.name, pending.stack));
    const record = origin ? this.#clone(pending, origin, label) : await this.#execute(pending, node, label);
    if (!record || this.#failure) return;
    const fanned = fanOut(record, node, this.#fanOut);
    if ("ready" in fanned) {
      if (record.next?.foreach) this.#out.taskSystem(label, `Foreach yields ${fanned.ready.length} child steps.`);
      this.#queue.push(...fanned.ready);
      this.#total += fanned.ready.length;
      return;
    }
    const error = new RuntimeGraphError(fanned.problem);
    await this.#opts.store.commitTask({ task: { ...record, status: "failed", error: toTaskError(error) }, blobs: new Map() });
    this.#out.taskOutput(label, "stderr", `${error.name}: ${fanned.problem}`);
    this.#out.taskSystem(label, "Task failed.");
    this.#fail(node.name, taskId);
  }

  /** Runs the task through the executor; undefined when it failed (after its retries). */
  async #execute(pending: PendingTask, node: StepNode, label: TaskLabel): Promise<TaskRecord | undefined> {
    const { graph } = this.#opts;
    const task = consoleTask(this.#out, label, node);
    const spec: TaskSpec = {
      flow: graph.name,
      runId: this.#run.runId,
      step: node.name,
      taskId: label.taskId,
      stack: pending.stack,
      inputs: pending.inputs,
      isJoin: pending.isJoin,
      initial: pending.initial,
      foreach: pending.foreach,
      parameterNames: Object.fromEntries(graph.parameters.map((p) => [p.field, p.name])),
      stepNames: graph.steps.map((s) => s.name),
      run: { tags: this.#run.tags, originRunId: this.#run.originRunId },
    };
    const result = await this.#executor.execute(spec, stepPolicy(node), task);
    task.flush();
    label.pid = result.record.pid ?? label.pid;
    if (result.error) {
      this.#fail(node.name, label.taskId);
      return undefined;
    }
    if (!result.record.caught && !result.record.reusedFrom) this.#out.taskSystem(label, "Task finished successfully.");
    return result.record;
  }

  /** A resumed run's task that succeeded in the origin: a new record pointing at the same blobs. */
  #clone(pending: PendingTask, origin: CloneSource, label: TaskLabel): TaskRecord {
    const record: TaskRecord = {
      ...origin.record,
      runId: this.#run.runId,
      taskId: label.taskId,
      stack: pending.stack.map((f) => ({ ...f })),
      inputs: pending.inputs.map((t) => t.taskId),
      originPathspec: taskPathspec(origin.record),
    };
    const from = origin.record;
    this.#out.taskSystem(label, `Cloning results of a previously run task ${from.runId}/${from.step}/${from.taskId}`);
    this.#cloneCommits.push(
      this.#opts.store.commitTask({ task: record, blobs: new Map(), logs: origin.logs }).catch((err) => {
        this.#out.note(`steplab: could not record the clone of ${record.originPathspec}: ${(err as Error).message}`);
        this.#fail(label.step, label.taskId);
      }),
    );
    return record;
  }
}
