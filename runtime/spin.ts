/**
 * `import { spin } from "steplab"`: a unit test of one step. Runs STEP of a flow file on the inputs
 * of a past task (default: the step's task in the latest successful run) with the file's code as
 * it is now, and returns the task:
 *
 *   const task = await spin("flow.ts", "train", { artifacts: { alpha: 0.5 } });
 *   expect(task.data.score).toBeGreaterThan(0.9);
 *
 * Nothing enters the run history unless `persist` (a run tagged `spin`). A step that fails rejects
 * with a SpinTaskError that carries the task (its stdout, stderr and the artifacts it set).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { isRemoteRoot, openStore, resolveStoreRoot, storeReader, type Store } from "../store/index.js";
import { Task } from "./client/index.js";
import { describeFailure } from "./executor/index.js";
import { formatLint, lintGraph, parseFlowFile } from "./graph/index.js";
import { spinStep } from "./scheduler/index.js";
import { SpinError, SpinTaskError } from "./spin-errors.js";

export interface SpinOptions {
  /** The past task whose inputs to use: RUN/STEP/TASK or FLOW/RUN/STEP/TASK. */
  from?: string;
  /** Artifacts the task starts from, by name, replacing the past task's. */
  artifacts?: Record<string, unknown>;
  /** Keep the task in a run tagged `spin` (default: nothing is recorded). */
  persist?: boolean;
  /** The datastore (default: STEPLAB_DATASTORE, else the nearest .steplab/ from the working directory). */
  datastore?: string;
}

/** Open for the life of the process: the returned tasks read their artifacts lazily. */
const stores = new Map<string, Store>();

export async function spin(flowFile: string, step: string, options: SpinOptions = {}): Promise<Task> {
  const file = path.resolve(flowFile);
  const graph = parseFlowFile(file);
  const problems = lintGraph(graph, readFileSync(file, "utf8"));
  if (problems.length) throw new SpinError(`spin: ${flowFile} is not a valid flow:\n${formatLint(problems, flowFile)}`);
  const given = options.datastore ?? resolveStoreRoot();
  const root = isRemoteRoot(given) ? given : path.resolve(given);
  let store = stores.get(root);
  if (!store) {
    store = openStore(root);
    stores.set(root, store);
  }
  const outcome = await spinStep({ store, graph, step, from: options.from, artifacts: options.artifacts, persist: options.persist });
  const task = Task(outcome.record, storeReader(outcome.store));
  if (outcome.error) {
    throw new SpinTaskError(
      `spin: step ${step} failed on the inputs of ${outcome.source.runId}/${outcome.source.step}/${outcome.source.taskId}: ${describeFailure(outcome.error)}`,
      task,
    );
  }
  return task;
}
