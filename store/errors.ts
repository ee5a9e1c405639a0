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

/** The datastore's file is damaged (cut short, a garbled header): it cannot be opened safely. */
export class StoreDamagedError extends SteplabError {
  constructor(root: string, problem: string) {
    super(
      "STORE_DAMAGED",
      `the steplab datastore at ${root} is damaged: ${problem}. steplab did not open it (reading it could crash the process). ` +
        `Restore its data.mdb from a backup, or move the folder away and let steplab start a new datastore there.`,
    );
  }
}

/** A blob's bytes no longer match their hash (or no longer decompress): the copy in the datastore is damaged. */
export class BlobDamagedError extends SteplabError {
  constructor(
    readonly sha: string,
    message: string,
  ) {
    super("BLOB_DAMAGED", message);
  }
}

/** The disk (or quota) holding the datastore is full: a write did not happen. */
export class StoreFullError extends SteplabError {
  constructor(message: string) {
    super("STORE_FULL", message);
  }
}
