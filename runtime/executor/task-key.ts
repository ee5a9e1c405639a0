/**
 * A task's cache key (`run --cache`): everything its results can depend on, hashed. Two tasks with
 * one key run the same code on the same data, so the later one may reuse the earlier one's results.
 *   - the step's name and the fingerprint of its code (runtime/bundle's stepFingerprints: its
 *     method, the flow class around it, what it calls in the flow's files and packages);
 *   - its options (`@step({...})`);
 *   - the artifacts it starts from, by hash: its parent's (which hold the parameters), or for a
 *     join the parameters and every input task's artifacts, with each input's step;
 *   - its foreach index and the name of the list it splits (the item is that list, by hash, at
 *     that index): a parent that splits over another list of the same artifacts changes the item.
 * Task and run ids are not part of it: a task whose upstream re-ran but produced the same artifacts
 * keeps its key (early cut-off).
 */
import { createHash } from "node:crypto";
import type { ArtifactRef } from "../../store/index.js";
import type { StepOptions } from "../graph/index.js";
import type { TaskSpec } from "./types.js";

// 2: the foreach list's name joined the key.
const KEY_VERSION = 2;

/** What of a task the key covers. */
export type KeyedTask = Pick<TaskSpec, "step" | "initial" | "inputs" | "isJoin" | "foreach">;

function hashes(artifacts: Record<string, ArtifactRef>): [string, string][] {
  return Object.keys(artifacts)
    .sort()
    .map((name) => [name, artifacts[name]!.sha]);
}

function sortedOptions(options: StepOptions): [string, unknown][] {
  return Object.keys(options)
    .sort()
    .filter((k) => options[k as keyof StepOptions] !== undefined)
    .map((k) => [k, options[k as keyof StepOptions]]);
}

/** The key of a task whose step's code has fingerprint `code`. */
export function taskCacheKey(task: KeyedTask, code: string, options: StepOptions): string {
  const parts = {
    v: KEY_VERSION,
    step: task.step,
    code,
    options: sortedOptions(options),
    initial: hashes(task.initial),
    inputs: task.isJoin ? task.inputs.map((t) => [t.step, hashes(t.artifacts)]) : undefined,
    foreach: task.foreach ? [task.foreach.index, task.inputs[0]?.next?.foreach ?? null] : undefined,
  };
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}
