/**
 * Rebuilds an error that crossed a sandbox boundary as a host-side error carrying the code the
 * guest gave it (a failed step's error arrives as data: name, message, stack, code) and the
 * user's stack.
 */
import { UserCodeError } from "./errors.js";
import type { StackMapper } from "./stack.js";

interface Described {
  name?: unknown;
  message?: unknown;
  stack?: unknown;
  code?: unknown;
}

export function rebuildUserError(err: unknown, mapper: StackMapper): UserCodeError {
  const e: Described = typeof err === "object" && err !== null ? (err as Described) : { message: String(err) };
  const name = typeof e.name === "string" && e.name !== "" ? e.name : "Error";
  const message = typeof e.message === "string" ? e.message : String(e.message ?? "");
  const stack = typeof e.stack === "string" ? e.stack : undefined;
  return new UserCodeError(name, message, mapper.format(name, message, stack), typeof e.code === "string" ? e.code : undefined);
}
