/**
 * Rebuilds an error that crossed a sandbox boundary (only name, message and stack survive the
 * copy) as a host-side error carrying the guest's code and the user's stack.
 */
import { UserCodeError } from "./errors.js";
import type { StackMapper } from "./stack.js";

const GUEST_CODES: Record<string, string> = {
  MissingArtifactError: "MISSING_ARTIFACT",
  StepUsageError: "STEP_USAGE",
  UnstorableArtifactError: "UNSTORABLE_ARTIFACT",
  NodeBuiltinError: "NODE_BUILTIN",
};

export function rebuildUserError(err: unknown, mapper: StackMapper): UserCodeError {
  const e = err instanceof Error ? err : new Error(String(err));
  const name = e.name || "Error";
  return new UserCodeError(name, e.message, mapper.format(name, e.message, e.stack), GUEST_CODES[name]);
}
