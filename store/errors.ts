import { SteplabError } from "../errors/index.js";

/**
 * A value that the structured-clone format cannot hold. The store does not know which artifact or
 * step it came from, so callers catch this and rethrow naming both; `path` points inside the value.
 */
export class ArtifactEncodeError extends SteplabError {
  constructor(
    message: string,
    /** Where in the value the offending part sits, e.g. `.model.predict`, or "" for the value itself. */
    readonly path: string,
    /** What was found there: "function", "symbol", "Generator", "Promise", ... */
    readonly found: string,
  ) {
    super("ARTIFACT_ENCODE", message);
  }
}
