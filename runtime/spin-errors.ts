/** What `spin()` rejects with (a module of its own: importing "steplab" must not load the sandboxes). */
import { SteplabError } from "../errors/index.js";
import type { Task } from "./client/index.js";

/** The flow file is not a valid flow. */
export class SpinError extends SteplabError {
  constructor(message: string) {
    super("SPIN", message);
  }
}

/** The spun step failed: `task` is the failed task (its output, and the artifacts it set before it threw). */
export class SpinTaskError extends SteplabError {
  constructor(
    message: string,
    readonly task: Task,
  ) {
    super("SPIN_TASK_FAILED", message);
  }
}
