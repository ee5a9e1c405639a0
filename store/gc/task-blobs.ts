/**
 * The blobs a task record refers to: its artifacts (its own and those it carries over) and what it
 * displayed (TaskRecord.displays, for its card) and a notebook cell's value (TaskRecord.cellValue,
 * shown again when the task is reused). Everything that decides whether a blob is in use
 * (the mark, a commit's check under the gc protocol) reads them here, so none forgets one.
 */
import type { TaskRecord } from "../types.js";

/** What a missing displays blob is called in an error (no artifact can have this name). */
export const DISPLAYS_NAME = "(displays)";
/** What a missing cell value blob is called in an error. */
export const CELL_VALUE_NAME = "(cell value)";

/** [name, sha] of each blob the task refers to. */
export function taskBlobs(task: Pick<TaskRecord, "artifacts" | "displays" | "cellValue">): [string, string][] {
  const refs = Object.entries(task.artifacts).map(([name, ref]): [string, string] => [name, ref.sha]);
  if (task.displays) refs.push([DISPLAYS_NAME, task.displays.sha]);
  if (task.cellValue) refs.push([CELL_VALUE_NAME, task.cellValue.sha]);
  return refs;
}
