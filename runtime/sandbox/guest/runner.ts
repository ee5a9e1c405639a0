/**
 * Runs one step of a flow class inside the guest: binds `this`, passes `inputs` to joins, waits
 * for async steps, then hands the artifacts to the host. A step that fails is answered, not
 * thrown: its error travels as data (name, message, stack and `code`), so the host rebuilds it
 * with the code the guest gave it.
 */
import { setDefaultUser } from "../../client/index.js";
import { enterTask } from "./current.js";
import { emitParameterDefaults } from "./parameter-defaults.js";
import { TaskState, type GuestFailure, type GuestOutcome, type TaskRequest } from "./task-state.js";

export type { GuestOutcome, TaskRequest };

function describeValue(value: unknown): string {
  if (typeof value === "function") return `[Function: ${value.name || "anonymous"}]`;
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function isPrimitive(value: unknown): value is string | number | boolean | bigint | null {
  return value === null || ["string", "number", "boolean", "bigint"].includes(typeof value);
}

/** An error as data that survives any copy to the host; `code` when the error has one. */
export function describeFailure(err: unknown): GuestFailure {
  if (!(err instanceof Error)) return { name: "Error", message: describeValue(err) };
  const code = (err as { code?: unknown }).code;
  return { name: err.name || "Error", message: err.message, stack: err.stack, ...(typeof code === "string" ? { code } : {}) };
}

export async function runStep(flowClass: { prototype: any; name: string }, request: TaskRequest): Promise<GuestOutcome> {
  if (request.defaultsOnly) {
    try {
      return emitParameterDefaults(flowClass);
    } catch (err) {
      return { emitted: [], deleted: [], merged: {}, failure: describeFailure(err) };
    }
  }
  enterTask(request);
  const user = request.current?.username ?? request.user;
  if (user) setDefaultUser(user);
  const method = flowClass.prototype[request.method ?? request.step];
  if (typeof method !== "function") {
    throw new Error(`Flow ${request.flow} has no step '${request.step}'`);
  }
  const state = new TaskState(flowClass, request);
  const args = request.inputs ? [state.inputsArgument()] : [];
  let value: unknown;
  let outcome: GuestOutcome;
  try {
    value = await method.apply(state.self, args);
    outcome = state.finish();
  } catch (err) {
    // What the step set before it threw goes to the host too: the failed task keeps it.
    return { ...state.abandonKeepingWritten(), failure: describeFailure(err) };
  }
  const host = globalThis.__steplabHost;
  if (value !== undefined && host?.result) {
    // A primitive travels back with the outcome: one call into the host fewer for `1 + 1`.
    if (isPrimitive(value)) return { ...outcome, value: { primitive: value } };
    try {
      host.result(value);
    } catch {
      // Not copyable to the host (a function, a client object): show what it says of itself.
      host.result({ __steplabText: describeValue(value) });
    }
  }
  return outcome;
}
