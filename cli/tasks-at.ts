/** The tasks a `RUN/STEP[/TASK]` path names, or a not-found error that says what exists. */
import { runPathspec, taskPathspec, type Store, type TaskRecord } from "../store/index.js";
import { NotFoundError } from "../errors/index.js";
import type { TaskPath } from "./pathspec.js";

function listing(kind: string, names: string[]): string {
  return names.length ? ` Existing ${kind}: ${names.slice(0, 10).join(", ")}${names.length > 10 ? ", …" : ""}.` : "";
}

export function tasksAt(store: Store, flow: string, path: TaskPath): TaskRecord[] {
  if (!store.getRun(flow, path.runId)) {
    const runs = store.listRuns(flow).map((r) => r.runId);
    throw new NotFoundError(`Run ${runPathspec({ flow, runId: path.runId })} does not exist.${listing("runs (newest first)", runs)}`);
  }
  const tasks = store.listTasks(flow, path.runId, path.step);
  if (tasks.length === 0) {
    throw new NotFoundError(
      `Step ${flow}/${path.runId}/${path.step} does not exist.${listing("steps", store.listSteps(flow, path.runId))}`,
    );
  }
  if (path.taskId === undefined) return tasks;
  const task = tasks.find((t) => t.taskId === path.taskId);
  if (!task) {
    throw new NotFoundError(
      `Task ${taskPathspec({ flow, runId: path.runId, step: path.step, taskId: path.taskId })} was not found.${listing(
        "tasks of this step",
        tasks.map((t) => t.taskId),
      )}`,
    );
  }
  return [task];
}
