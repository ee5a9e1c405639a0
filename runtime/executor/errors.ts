import { SteplabError } from "../../errors/index.js";

/** A task's inputs (run, input tasks, foreach item) are not in the datastore as it expects. */
export class TaskInputError extends SteplabError {
  constructor(message: string) {
    super("TASK_INPUT", message);
  }
}
