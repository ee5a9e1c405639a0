/**
 * Errors raised by the guest runtime. They cross the sandbox boundary as name + message, and the
 * host rebuilds them (runtime/sandbox/errors.ts) with the same `code`.
 */
export class GuestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Reading an artifact that no upstream step set (Metaflow's AttributeError). */
export class MissingArtifactError extends GuestError {
  constructor(flow: string, name: string) {
    super("MISSING_ARTIFACT", `Flow ${flow} has no attribute '${name}'`);
  }
}

/** A misuse of next(), mergeArtifacts() or a parameter inside a step. */
export class StepUsageError extends GuestError {
  constructor(message: string) {
    super("STEP_USAGE", message);
  }
}

/** A value assigned to `this` that cannot be stored. */
export class UnstorableArtifactError extends GuestError {
  /** `reason` says what is wrong; `fix`, when the reason does not already say it, what to do. */
  constructor(name: string, step: string, reason: string, fix?: string) {
    super(
      "UNSTORABLE_ARTIFACT",
      `Artifact '${name}' of step '${step}' cannot be stored: ${reason.replace(/\.+$/, "")}.${fix ? ` ${fix}` : ""}`,
    );
  }
}

/** `this.NAME = ...` with a name no artifact may have. */
export class InvalidArtifactNameError extends GuestError {
  constructor(shown: string, step: string, reason: string) {
    super("ARTIFACT_NAME", `Artifact '${shown}' cannot be set in step '${step}': ${reason}.`);
  }
}
