/**
 * Every error a user can hit is a SteplabError with a stable `code`, so front ends
 * (CLI, kernel, REPL) can tell them apart without parsing messages.
 */
export class SteplabError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad command-line usage: exit code 2. */
export class UsageError extends SteplabError {
  constructor(message: string) {
    super("USAGE", message);
  }
}

/** The flow graph is invalid (lint). */
export class LintError extends SteplabError {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
  ) {
    super("LINT", message);
  }
}

/** A pathspec (flow, run, step, task or artifact) that is not in the store. */
export class NotFoundError extends SteplabError {
  constructor(message: string) {
    super("NOT_FOUND", message);
  }
}

/** The store on disk could not be read or written. */
export class StoreError extends SteplabError {
  constructor(message: string) {
    super("STORE", message);
  }
}

/** Anything thrown, as a front end shows it (Jupyter's ename, evalue and traceback). */
export interface CellError {
  ename: string;
  evalue: string;
  /** Lines mapped to the cell's own line numbers. */
  traceback: string[];
  code?: string;
}

/** Anything thrown, as a front end shows it. steplab's own errors explain themselves: no host stack. */
export function cellError(err: unknown): CellError {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  const own = e instanceof SteplabError;
  const name = e.name || "Error";
  const stack = !own && e.stack?.startsWith(`${name}: `) ? e.stack : `${name}: ${e.message}`;
  return { ename: name, evalue: e.message, traceback: stack.split("\n"), code: typeof code === "string" ? code : undefined };
}
