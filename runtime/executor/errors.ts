import { SteplabError } from "../../errors/index.js";

/** A task's inputs (run, input tasks, foreach item) are not in the datastore as it expects. */
export class TaskInputError extends SteplabError {
  constructor(message: string) {
    super("TASK_INPUT", message);
  }
}

/** A sandbox handed back an artifact under a name no artifact may have (past the guest's own check). */
export class ArtifactNameError extends SteplabError {
  constructor(shown: string, step: string, reason: string) {
    super("ARTIFACT_NAME", `Artifact '${shown}' cannot be set in step '${step}': ${reason}.`);
  }
}
