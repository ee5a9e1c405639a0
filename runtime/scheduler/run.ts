/**
 * Runs a flow: a queue of ready tasks, at most `maxWorkers` executing at once. A foreach fans out
 * after its parent commits; a join waits for every sibling. The scheduler is the only writer of
 * run state. On a failure it starts nothing new, lets running tasks finish, and fails the run.
 */
import os from "node:os";
import {
  storeReader,
  taskPathspec,
  type ArtifactRef,
  type Frame,
  type RunRecord,
  type Store,
  type StoreReader,
  type TaskRecord,
} from "../../store/index.js";
import { LocalExecutor, SandboxPool, storeValues, toTaskError, type TaskExecutor, type TaskSpec } from "../executor/index.js";
import type { FlowGraph, StepNode } from "../graph/index.js";
import type { RunConsole, TaskLabel } from "./console.js";
import { RuntimeGraphError } from "./errors.js";
import { JoinBuckets } from "./joins.js";
import type { ResumePlan } from "./resume.js";
import { consoleTask, stepPolicy } from "./task-console.js";
import { foreachSplit } from "./transitions.js";

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
  /** Aborting stops running tasks (interrupt) and fails the run. */
  signal?: AbortSignal;
  /** Where tasks run: by default in this process's sandboxes; the queue executor sends them to workers. */
  executor?: TaskExecutor;
}

export interface RunOutcome {
  runId: string;
  status: "succeeded" | "failed";
  failedStep?: string;
}

interface PendingTask {
  step: string;
  stack: Frame[];
  inputs: TaskRecord[];
  initial: Record<string, ArtifactRef>;
  isJoin: boolean;
  foreach?: { input: unknown; index: number };
}

function frameIdentity(step: string, stack: Frame[]): string {
  return `${step}[${stack.map((f) => f.index).join(".")}]`;
}

export async function runFlow(opts: RunFlowOptions): Promise<RunOutcome> {
  const { store, graph } = opts;
  const out = opts.console;
  const maxWorkers = Math.max(1, opts.maxWorkers ?? DEFAULT_MAX_WORKERS);
  const maxNumSplits = opts.maxNumSplits ?? DEFAULT_MAX_NUM_SPLITS;
  const steps = new Map(graph.steps.map((s) => [s.name, s]));
  const reader: StoreReader = storeReader(store);
  const parameterNames = Object.fromEntries(graph.parameters.map((p) => [p.field, p.name]));

  // Parameters are immutable artifacts every task starts with.
  const parameterRefs = await storeValues(store, opts.parameters);

  const runId = store.newRunId();
  const run: RunRecord = {
    flow: graph.name,
    runId,
    status: "running",
    tags: [...new Set([`user:${os.userInfo().username}`, ...(opts.tags ?? [])])],
    parameters: parameterRefs,
    createdAt: Date.now(),
    source: graph.file,
    pid: process.pid,
    originRunId: opts.resume?.originRunId,
  };
  await store.putRun(run);
  out.system(`Workflow starting (run-id ${runId}):`);

  const executor = opts.executor ?? new LocalExecutor({ store, sandboxes: new SandboxPool(graph.file, graph.name, store.root) });
  const joins = new JoinBuckets();
  const queue: PendingTask[] = [{ step: "start", stack: [], inputs: [], initial: parameterRefs, isJoin: false }];
  let nextTaskId = 1;
  let running = 0;
  let done = 0;
  let total = 1;
  let failure: { step: string; taskId: string } | undefined;
  // Clone commits are not awaited one by one: LMDB batches them in order (cloning a 1000-task run
  // takes a third of the time); the run waits for all of them before it records its end.
  const cloneCommits: Promise<void>[] = [];
  const onAbort = () => {
    failure ??= { step: "(interrupted)", taskId: "-" };
    executor.interruptAll();
  };
  opts.signal?.addEventListener("abort", onAbort);

  const fail = (step: string, taskId: string) => {
    failure ??= { step, taskId };
  };

  const enqueue = (task: PendingTask) => {
    queue.push(task);
    total++;
  };

  /** Fans a finished task out to the steps after it. Returns an error message to fail it with. */
  const schedule = (task: TaskRecord, node: StepNode, label: TaskLabel): string | undefined => {
    const next = task.next;
    if (!next) return undefined;
    if (next.foreach) {
      const split = foreachSplit(task, node, (sha) => reader.loadBlob(sha), maxNumSplits);
      if ("problem" in split) return split.problem;
      const list = split.list;
      out.taskSystem(label, `Foreach yields ${list.length} child steps.`);
      list.forEach((input, index) => {
        enqueue({
          step: next.steps[0]!,
          stack: [...task.stack, { kind: "foreach", step: node.name, taskId: task.taskId, index, count: list.length }],
          inputs: [task],
          initial: task.artifacts,
          isJoin: false,
          foreach: { input, index },
        });
      });
      return undefined;
    }
    if (next.steps.length > 1) {
      next.steps.forEach((step, index) => {
        enqueue({
          step,
          stack: [...task.stack, { kind: "split", step: node.name, taskId: task.taskId, index, count: next.steps.length }],
          inputs: [task],
          initial: task.artifacts,
          isJoin: false,
        });
      });
      return undefined;
    }
    const target = steps.get(next.steps[0]!)!;
    if (target.isJoin) {
      const ready = joins.arrive(target.name, task);
      if (ready) enqueue({ step: target.name, stack: ready.stack, inputs: ready.inputs, initial: parameterRefs, isJoin: true });
    } else {
      enqueue({ step: target.name, stack: task.stack, inputs: [task], initial: task.artifacts, isJoin: false });
    }
    return undefined;
  };

  const launch = async (pending: PendingTask): Promise<void> => {
    const node = steps.get(pending.step)!;
    const taskId = String(nextTaskId++);
    const label: TaskLabel = { runId, step: node.name, taskId, pid: process.pid };
    const origin = opts.resume?.cloneSource(node.name, frameIdentity(node.name, pending.stack));
    let record: TaskRecord;
    if (origin) {
      record = {
        ...origin.record,
        runId,
        taskId,
        stack: pending.stack.map((f) => ({ ...f })),
        inputs: pending.inputs.map((t) => t.taskId),
        originPathspec: taskPathspec(origin.record),
      };
      out.taskSystem(
        label,
        `Cloning results of a previously run task ${origin.record.runId}/${origin.record.step}/${origin.record.taskId}`,
      );
      cloneCommits.push(
        store.commitTask({ task: record, blobs: new Map(), logs: origin.logs }).catch((err) => {
          out.note(`steplab: could not record the clone of ${record.originPathspec}: ${(err as Error).message}`);
          fail(node.name, taskId);
        }),
      );
    } else {
      const task = consoleTask(out, label, node);
      const spec: TaskSpec = {
        flow: graph.name,
        runId,
        step: node.name,
        taskId,
        stack: pending.stack,
        inputs: pending.inputs,
        isJoin: pending.isJoin,
        initial: pending.initial,
        foreach: pending.foreach,
        parameterNames,
        stepNames: graph.steps.map((s) => s.name),
      };
      const result = await executor.execute(spec, stepPolicy(node), task);
      task.flush();
      record = result.record;
      label.pid = record.pid ?? label.pid;
      if (result.error) {
        fail(node.name, taskId);
        return;
      }
      if (!record.caught) out.taskSystem(label, "Task finished successfully.");
    }
    if (failure) return;
    const problem = schedule(record, node, label);
    if (problem) {
      const error = new RuntimeGraphError(problem);
      await store.commitTask({ task: { ...record, status: "failed", error: toTaskError(error) }, blobs: new Map() });
      out.taskOutput(label, "stderr", `${error.name}: ${problem}`);
      out.taskSystem(label, "Task failed.");
      fail(node.name, taskId);
    }
  };

  try {
    await executor.prepare(graph.steps.map(stepPolicy));
    await new Promise<void>((resolve) => {
      const pump = () => {
        while (!failure && running < maxWorkers && queue.length > 0) {
          const pending = queue.shift()!;
          running++;
          launch(pending)
            .catch((err) => {
              out.note(`steplab: internal error while running ${pending.step}: ${(err as Error).stack ?? err}`);
              fail(pending.step, "?");
            })
            .finally(() => {
              running--;
              done++;
              opts.onProgress?.({ done, total, runId });
              pump();
            });
        }
        if (running === 0 && (failure || queue.length === 0)) resolve();
      };
      pump();
    });
  } catch (err) {
    out.note(`${(err as Error).message}`);
    fail("start", "-");
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    // An executor the caller gave (the queue's) is the caller's to close.
    if (!opts.executor) await executor.close();
  }
  await Promise.all(cloneCommits);

  const status = failure ? "failed" : "succeeded";
  await store.putRun({ ...run, status, finishedAt: Date.now(), failedStep: failure?.step });
  if (failure) {
    out.system("Workflow failed.");
    out.note(`    Step failure:\n    Step ${failure.step} (task-id ${failure.taskId}) failed.`);
    return { runId, status, failedStep: failure.step };
  }
  out.system("Done!");
  return { runId, status };
}
