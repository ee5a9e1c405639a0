/**
 * `steplab FLOW.ts step STEP --run-id ID [--input-paths P] [--split-index I] [--retry-count N]
 * [--outputs-dir DIR] [--tag T ...] [--PARAM=V ...]`: runs one task of a run and commits it, the command each
 * pod of an Argo workflow runs (Metaflow's `python flow.py step`). The orchestrator holds the DAG;
 * this command only needs the datastore (STEPLAB_DATASTORE) to find its inputs.
 *
 * - start creates the run record (parameters from the --PARAM options) unless a retried start
 *   pod already did; every other step reads it.
 * - The task id is derived from the run, step, input paths and split index (see step-paths.ts),
 *   written to OUTPUTS_DIR/task-id; a foreach step also writes OUTPUTS_DIR/split-indices.
 * - A task that already succeeded is not run again (a pod re-run after it committed).
 * - A task that fails on its last attempt (--retry-count >= the step's retries) fails the run;
 *   a successful end step finishes it.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { decodeArtifact, type Frame, type RunRecord, type Store, type TaskRecord } from "../store/index.js";
import { UsageError } from "../errors/index.js";
import type { FlowGraph, StepNode } from "../runtime/graph/index.js";
import {
  foreachListOf,
  LocalExecutor,
  readInputTasks,
  SandboxPool,
  storeValues,
  TaskInputError,
  taskSpecFromStore,
  toTaskError,
} from "../runtime/executor/index.js";
import {
  consoleTask,
  DEFAULT_MAX_NUM_SPLITS,
  foreachSplit,
  type RunConsole,
  RuntimeGraphError,
  stepPolicy,
  type TaskLabel,
} from "../runtime/scheduler/index.js";
import { EXIT, type CliIO } from "./io.js";
import { runConsole } from "./run-console.js";
import { integerOption, parseOptions, single, type OptionSpec } from "./options.js";
import { commandLineParameters, parameterOptions } from "./parameters.js";
import { derivedTaskId, parseInputPaths, type InputPath } from "./step-paths.js";
import { openUserStore } from "./store-access.js";
import { lintPasses } from "./validate.js";
import { currentUsername } from "../runtime/support/index.js";

export const STEP_OPTIONS: OptionSpec[] = [
  { name: "run-id", kind: "value", help: "The run this task belongs to (created by the start step)" },
  { name: "input-paths", kind: "value", help: 'Input tasks: STEP/TASK,STEP/TASK or STEP/:[{"task-id":"T"},...]' },
  { name: "split-index", kind: "value", help: "A foreach child's index in its parent's list" },
  { name: "retry-count", kind: "value", help: "This attempt's number, from 0 (recorded as the task's attempt)" },
  { name: "outputs-dir", kind: "value", help: "Where to write task-id (and split-indices for a foreach step)" },
  { name: "max-num-splits", kind: "value", help: `Fail a foreach wider than this (default ${DEFAULT_MAX_NUM_SPLITS})` },
  { name: "tag", kind: "value", repeatable: true, help: "Tag the run (repeatable; given to the start step, which creates the run)" },
];

function nonNegative(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(n) || n < 0)
    throw new UsageError(`Invalid value for --${name}: '${raw}' is not a non-negative integer`);
  return n;
}

interface StepArgs {
  node: StepNode;
  runId: string;
  inputs: InputPath[];
  splitIndex?: number;
  retryCount: number;
  outputsDir?: string;
  maxNumSplits: number;
  parameters: Record<string, unknown>;
  tags: string[];
}

async function parseStepArgs(graph: FlowGraph, args: string[], io: CliIO): Promise<StepArgs> {
  const parsed = parseOptions(args, [...STEP_OPTIONS, ...parameterOptions(graph.parameters)], "step");
  if (parsed.positionals.length !== 1) throw new UsageError(`step takes one step name, got '${parsed.positionals.join(" ")}'`);
  const name = parsed.positionals[0]!;
  const node = graph.steps.find((s) => s.name === name);
  if (!node) throw new UsageError(`No step '${name}' in ${graph.name}. Steps: ${graph.steps.map((s) => s.name).join(", ")}`);
  const runId = single(parsed, "run-id");
  if (!runId) throw new UsageError("Missing option '--run-id'");
  if (/[/\s]/.test(runId)) throw new UsageError(`Invalid value for --run-id: '${runId}' (no '/' or spaces)`);
  const rawPaths = single(parsed, "input-paths");
  const isStart = node.name === "start";
  if (isStart && rawPaths !== undefined) throw new UsageError("The start step takes no --input-paths");
  if (!isStart && rawPaths === undefined) throw new UsageError(`Missing option '--input-paths': step '${name}' needs its input tasks`);
  const given = graph.parameters.filter((p) => parsed.values.has(p.name)).map((p) => `--${p.name}`);
  if (!isStart && given.length)
    throw new UsageError(`Parameters are given to the start step only (got ${given.join(", ")}); later steps read them from the run`);
  const tags = parsed.values.get("tag") ?? [];
  if (!isStart && tags.length)
    throw new UsageError("--tag is given to the start step only, which creates the run; later steps belong to it");
  return {
    node,
    runId,
    inputs: rawPaths === undefined ? [] : parseInputPaths(rawPaths),
    splitIndex: nonNegative(single(parsed, "split-index"), "split-index"),
    retryCount: nonNegative(single(parsed, "retry-count"), "retry-count") ?? 0,
    outputsDir: single(parsed, "outputs-dir"),
    maxNumSplits: integerOption(
      single(parsed, "max-num-splits") ?? io.env.STEPLAB_RUN_MAX_NUM_SPLITS,
      "max-num-splits",
      DEFAULT_MAX_NUM_SPLITS,
    ),
    parameters: isStart ? (await commandLineParameters(graph, parsed, io)).values : {},
    tags,
  };
}

/** The run record: created by start (or found, when start's pod is retried), read by the rest. */
async function runRecordFor(store: Store, graph: FlowGraph, a: StepArgs, io: CliIO): Promise<RunRecord> {
  const existing = store.getRun(graph.name, a.runId);
  if (existing) return existing;
  if (a.node.name !== "start") {
    throw new TaskInputError(`run ${graph.name}/${a.runId} is not in the datastore ${store.root}: its start step creates it`);
  }
  const refs = await storeValues(store, a.parameters);
  const run: RunRecord = {
    flow: graph.name,
    runId: a.runId,
    status: "running",
    tags: [...new Set([`user:${currentUsername(io.env)}`, ...a.tags])],
    parameters: refs,
    createdAt: Date.now(),
    source: graph.file,
    // No owner: an orchestrator's pods each run a task and exit; the run outlives every one of them.
    pid: process.pid,
  };
  await store.putRun(run);
  return run;
}

/** Where the task sits in the run's splits, from its input tasks (the scheduler's frames). */
function stackFor(node: StepNode, inputs: TaskRecord[], a: StepArgs, listLength: () => number): Frame[] {
  const first = inputs[0];
  if (!first) return [];
  for (const t of inputs) {
    if (t.status !== "succeeded")
      throw new TaskInputError(`input task ${t.step}/${t.taskId} of step '${node.name}' has not succeeded (${t.status})`);
    if (!t.next?.steps.includes(node.name)) throw new TaskInputError(`input task ${t.step}/${t.taskId} does not go to step '${node.name}'`);
  }
  if (node.isJoin) {
    if (a.splitIndex !== undefined) throw new UsageError(`Step '${node.name}' is a join and takes no --split-index`);
    const frame = first.stack.at(-1);
    const closes = (t: TaskRecord) => t.stack.at(-1)?.taskId === frame?.taskId && t.stack.at(-1)?.step === frame?.step;
    if (!frame || !inputs.every(closes)) throw new TaskInputError(`the inputs of join '${node.name}' do not come from one split`);
    const indices = new Set(inputs.map((t) => t.stack.at(-1)!.index));
    if (indices.size !== inputs.length || inputs.length !== frame.count) {
      throw new TaskInputError(
        `join '${node.name}' needs the ${frame.count} tasks of split ${frame.step}/${frame.taskId}, got ${inputs.length} distinct input paths`,
      );
    }
    return first.stack.slice(0, -1);
  }
  if (inputs.length > 1) throw new UsageError(`Step '${node.name}' is not a join: it takes one input path, got ${inputs.length}`);
  const next = first.next!;
  if (next.foreach) {
    if (a.splitIndex === undefined) throw new UsageError(`Step '${node.name}' is a foreach child of ${first.step}: it needs --split-index`);
    return [...first.stack, { kind: "foreach", step: first.step, taskId: first.taskId, index: a.splitIndex, count: listLength() }];
  }
  if (a.splitIndex !== undefined)
    throw new UsageError(`Step '${node.name}' is not inside a foreach of ${first.step}: it takes no --split-index`);
  if (next.steps.length > 1) {
    return [
      ...first.stack,
      { kind: "split", step: first.step, taskId: first.taskId, index: next.steps.indexOf(node.name), count: next.steps.length },
    ];
  }
  return first.stack;
}

function writeOutput(dir: string | undefined, name: string, text: string): void {
  if (dir === undefined) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, name), text);
}

export async function stepCommand(graph: FlowGraph, args: string[], io: CliIO): Promise<number> {
  const a = await parseStepArgs(graph, args, io);
  if (!lintPasses(graph, io)) return EXIT.failed;
  const store = openUserStore(io);
  try {
    return await runStep(store, graph, a, io);
  } finally {
    await store.close();
  }
}

async function runStep(store: Store, graph: FlowGraph, a: StepArgs, io: CliIO): Promise<number> {
  const { node } = a;
  const run = await runRecordFor(store, graph, a, io);
  const taskId = derivedTaskId(a.runId, node.name, a.inputs, a.splitIndex);
  writeOutput(a.outputsDir, "task-id", taskId);
  const out = await runConsole(io);
  const label: TaskLabel = { runId: a.runId, step: node.name, taskId, pid: process.pid };
  const where = { flow: graph.name, runId: a.runId, step: node.name, taskId, inputs: a.inputs };

  // One decode of a foreach parent's list serves the frame's count and the child's item.
  let list: unknown[] | undefined;
  const loadList = (sha: string) => (list ??= decodeArtifact(store.getBlob(sha)) as unknown[]);
  let inputs = readInputTasks(store, where);
  if (node.isJoin) {
    // A join sees its inputs in branch / foreach order, whatever order Argo listed them in.
    inputs = [...inputs].sort((x, y) => (x.stack.at(-1)?.index ?? 0) - (y.stack.at(-1)?.index ?? 0));
    where.inputs = inputs.map((t) => ({ step: t.step, taskId: t.taskId }));
  }
  const stack = stackFor(
    node,
    inputs,
    a,
    () => foreachListOf(store, inputs[0], `${graph.name}/${a.runId}/${node.name}/${taskId}`, { loadList }).length,
  );

  let record = store.getTask(graph.name, a.runId, node.name, taskId);
  if (record?.status === "succeeded") {
    out.taskSystem(label, "Task already succeeded (a re-run pod): not run again.");
  } else {
    const spec = taskSpecFromStore(
      store,
      {
        ...where,
        stack,
        isJoin: node.isJoin,
        foreachIndex: a.splitIndex,
        parameterNames: Object.fromEntries(graph.parameters.map((p) => [p.field, p.name])),
        stepNames: graph.steps.map((s) => s.name),
        attempt: a.retryCount,
      },
      { loadList },
    );
    const executor = new LocalExecutor({ store, sandboxes: new SandboxPool(graph.file, graph.name, store.root) });
    try {
      const policy = stepPolicy(node);
      await executor.prepare([policy]);
      // Argo retries a failed pod with the next --retry-count: this pod makes one attempt.
      const task = { ...consoleTask(out, label, node), onlyThisAttempt: true };
      const result = await executor.execute(spec, policy, task);
      task.flush();
      record = result.record;
      if (result.error) return await failed(store, graph, a, out);
    } finally {
      await executor.close();
    }
    if (!record.caught) out.taskSystem(label, "Task finished successfully.");
  }

  return afterTask(store, graph, a, out, label, record, run);
}

/** A succeeded task: a foreach writes its split for Argo; the end step finishes the run. */
async function afterTask(
  store: Store,
  graph: FlowGraph,
  a: StepArgs,
  out: RunConsole,
  label: TaskLabel,
  record: TaskRecord,
  run: RunRecord,
): Promise<number> {
  const { node } = a;
  if (node.foreach !== undefined) {
    const split = foreachSplit(record, node, (sha) => decodeArtifact(store.getBlob(sha)), a.maxNumSplits);
    if ("problem" in split) {
      const error = new RuntimeGraphError(split.problem);
      await store.commitTask({ task: { ...record, status: "failed", error: toTaskError(error) }, blobs: new Map() });
      out.taskOutput(label, "stderr", `${error.name}: ${split.problem}`);
      out.taskSystem(label, "Task failed.");
      return failed(store, graph, a, out);
    }
    out.taskSystem(label, `Foreach yields ${split.list.length} child steps.`);
    writeOutput(a.outputsDir, "split-indices", JSON.stringify(split.list.map((_, i) => i)));
  }
  if (node.type === "end" || node.next.length === 0) {
    const latest = store.getRun(graph.name, a.runId) ?? run;
    await store.putRun({ ...latest, status: "succeeded", finishedAt: Date.now(), failedStep: undefined });
    out.system("Done!");
  }
  return EXIT.ok;
}

/** On the step's last attempt the run fails with the task (Argo retries the others). */
async function failed(store: Store, graph: FlowGraph, a: StepArgs, out: RunConsole): Promise<number> {
  const retries = a.node.options.retries ?? 0;
  if (a.retryCount >= retries) {
    const latest = store.getRun(graph.name, a.runId);
    if (latest) await store.putRun({ ...latest, status: "failed", finishedAt: Date.now(), failedStep: a.node.name });
    out.system("Workflow failed.");
  }
  return EXIT.failed;
}
