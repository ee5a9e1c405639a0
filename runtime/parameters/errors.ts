import { SteplabError } from "../../errors/index.js";

/** Loading the flow to evaluate its parameters' defaults failed (the flow's code threw). */
export class ParameterDefaultsError extends SteplabError {
  constructor(flow: string, detail: string) {
    super("PARAMETER_DEFAULTS", `Evaluating the parameter defaults of ${flow} (loading its code) failed:\n${detail}`);
  }
}
