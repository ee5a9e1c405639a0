/**
 * Errors a task can end with, host side. Errors thrown by user code keep their own name and
 * message; the stack is mapped to the user's file:line (see stack.ts).
 */
import { SteplabError } from "../../errors/index.js";
import type { EncodedArtifact } from "./types.js";

export class TaskInterruptedError extends SteplabError {
  constructor(step: string) {
    super("INTERRUPTED", `Step '${step}' was interrupted`);
  }
}

export class TaskTimeoutError extends SteplabError {
  constructor(step: string, seconds: number) {
    super("TIMEOUT", `Step '${step}' ran longer than its timeoutSeconds (${seconds} s) and was stopped`);
  }
}

export class TaskMemoryError extends SteplabError {
  /** `mb` undefined: the step set no limit and ran out of the JavaScript heap Node gives by default. */
  constructor(step: string, mb?: number) {
    super(
      "MEMORY_LIMIT",
      mb === undefined
        ? `Step '${step}' ran out of memory (Node's default JavaScript heap) and was stopped. ` +
            `Give it more with @step({ memoryMb: N }) or use less memory.`
        : `Step '${step}' used more than its memory limit (${mb} MB) and was stopped. ` +
            `Raise it with @step({ memoryMb: N }) or use less memory.`,
    );
  }
}

/**
 * The step awaits a promise that nothing can settle any more: no timer, I/O or call of the host is
 * pending (the event loop had nothing left to do). Without this the run would end without a word.
 */
export class TaskStalledError extends SteplabError {
  constructor(step: string) {
    super(
      "STALLED",
      `Step '${step}' never finished: it awaits a promise that nothing can settle any more ` +
        `(no timer, I/O or pending call was left to resolve it). Check that every promise the step awaits is resolved or rejected.`,
    );
  }
}

/** A `process` step's child exited before reporting back: killed by a signal, or it crashed. */
export class TaskCrashedError extends SteplabError {
  constructor(step: string, how: string) {
    super("CRASHED", `The process running step '${step}' ${how} before the step finished (it was killed or crashed)`);
  }
}

/** A user error rebuilt host side: same name and message, stack in the user's terms. */
export class UserCodeError extends Error {
  readonly code: string;
  constructor(name: string, message: string, stack: string, code?: string) {
    super(message);
    this.name = name;
    this.stack = stack;
    this.code = code ?? "USER_CODE";
  }
}

const PARTIAL_ARTIFACTS = Symbol("steplab.partialArtifacts");

/** Attaches the artifacts a failed step set before it threw, so its failed task keeps them. */
export function withPartialArtifacts<E extends Error>(error: E, artifacts: Map<string, EncodedArtifact>): E {
  if (artifacts.size > 0) Object.defineProperty(error, PARTIAL_ARTIFACTS, { value: artifacts, enumerable: false });
  return error;
}

/** The artifacts a failed step set before it threw (none when it was stopped from outside). */
export function partialArtifacts(error: unknown): Map<string, EncodedArtifact> | undefined {
  return (error as { [PARTIAL_ARTIFACTS]?: Map<string, EncodedArtifact> } | null)?.[PARTIAL_ARTIFACTS];
}
