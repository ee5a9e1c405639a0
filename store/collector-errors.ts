import { SteplabError } from "../errors/index.js";

/**
 * A commit referenced artifact data that is no longer in the datastore and did not carry the
 * bytes to write it again: `steplab gc` deleted the run it came from while this task ran (a
 * resume cloning from it, a task reading an input of a deleted run). Nothing was committed.
 */
export class MissingBlobError extends SteplabError {
  constructor(
    message: string,
    /** Artifact name -> sha of each missing blob (empty when rebuilt from another thread's message). */
    readonly missing: Record<string, string> = {},
  ) {
    super("BLOB_MISSING", message);
  }

  static of(what: string, missing: Record<string, string>): MissingBlobError {
    const names = Object.entries(missing)
      .map(([name, sha]) => `${name} (${sha.slice(0, 12)})`)
      .join(", ");
    return new MissingBlobError(
      `${what} refers to artifact data that is no longer in the datastore: ${names}. ` +
        "`steplab gc` deleted the run it came from while this one was running; nothing was committed. Run it again.",
      missing,
    );
  }
}

/** Another `steplab gc` holds the datastore's gc lease. */
export class GcBusyError extends SteplabError {
  constructor(holder: string) {
    super("GC_BUSY", `another steplab gc (${holder}) is collecting this datastore; wait for it to finish and run gc again`);
  }
}

/** `gc --compact` needs the LMDB datastore to itself. */
export class CompactBusyError extends SteplabError {
  constructor(message: string) {
    super("GC_COMPACT_BUSY", message);
  }
}
