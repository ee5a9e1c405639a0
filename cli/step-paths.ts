/**
 * The `step` command's view of where a task sits: its input paths as Argo hands them over, and
 * the task id that follows from them.
 *
 * Task ids are derived, not counted: `t-` and 12 hex digits of sha256(run, step, input tasks,
 * split index) (Metaflow's Argo task ids are `t-` + a hash too). A pod retried by Argo gets the
 * same arguments, so it keeps its task id and a later attempt overwrites the earlier one; no
 * counter has to be shared between pods. Such ids sort after the numeric ids of local runs.
 */
import { createHash } from "node:crypto";
import { UsageError } from "../errors/index.js";

export interface InputPath {
  step: string;
  taskId: string;
}

const STEP_NAME = /^[A-Za-z_$][\w$]*$/;

function taskIdOf(value: unknown, raw: string): string {
  // Argo aggregates the output parameters of fanned-out tasks as [{"task-id": "..."}, ...].
  const id = typeof value === "object" && value !== null ? (value as Record<string, unknown>)["task-id"] : value;
  if (typeof id !== "string" && typeof id !== "number")
    throw new UsageError(`Invalid --input-paths '${raw}': each entry of the list needs a "task-id"`);
  return String(id);
}

/** `STEP/TASK,STEP/TASK` or, for the one parent of a foreach join, `STEP/:[{"task-id":"T"},...]`. */
export function parseInputPaths(raw: string): InputPath[] {
  const gathered = /^([^/,]+)\/:([\s\S]*)$/.exec(raw.trim());
  if (gathered) {
    const step = gathered[1]!;
    if (!STEP_NAME.test(step)) throw new UsageError(`Invalid --input-paths '${raw}': '${step}' is not a step name`);
    let list: unknown;
    try {
      list = JSON.parse(gathered[2]!);
    } catch (err) {
      throw new UsageError(`Invalid --input-paths '${raw}': the task list after '${step}/:' is not JSON (${(err as Error).message})`);
    }
    if (!Array.isArray(list) || list.length === 0)
      throw new UsageError(`Invalid --input-paths '${raw}': expected a non-empty JSON list of tasks after '${step}/:'`);
    return list.map((v) => ({ step, taskId: taskIdOf(v, raw) }));
  }
  const paths = raw
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  if (paths.length === 0) throw new UsageError(`Invalid --input-paths '${raw}': no input task`);
  return paths.map((p) => {
    const m = /^([^/]+)\/([^/]+)$/.exec(p);
    if (!m || !STEP_NAME.test(m[1]!)) throw new UsageError(`Invalid --input-paths '${raw}': '${p}' is not STEP/TASK`);
    return { step: m[1]!, taskId: m[2]! };
  });
}

/** The task's id from what identifies it within the run (not the attempt: a retry keeps it). */
export function derivedTaskId(runId: string, step: string, inputs: InputPath[], splitIndex: number | undefined): string {
  // Sorted: a join is the same task whichever order its inputs are listed in.
  const paths = inputs.map((i) => `${i.step}/${i.taskId}`).sort();
  const identity = JSON.stringify([runId, step, paths, splitIndex ?? null]);
  return `t-${createHash("sha256").update(identity).digest("hex").slice(0, 12)}`;
}
