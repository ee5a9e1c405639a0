import { SteplabError } from "../../errors/index.js";

/** The run's transitions disagree with the static graph, or a foreach cannot fan out. */
export class RuntimeGraphError extends SteplabError {
  constructor(message: string) {
    super("RUNTIME_GRAPH", message);
  }
}
