/**
 * Runs one step of a flow class inside the guest: binds `this`, passes `inputs` to joins, waits
 * for async steps, then hands the artifacts to the host.
 */
import { TaskState, type GuestOutcome, type TaskRequest } from "./task-state.js";

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

export async function runStep(flowClass: { prototype: any; name: string }, request: TaskRequest): Promise<GuestOutcome> {
  const state = new TaskState(flowClass, request);
  const method = flowClass.prototype[request.method ?? request.step];
  if (typeof method !== "function") {
    throw new Error(`Flow ${request.flow} has no step '${request.step}'`);
  }
  const args = request.inputs ? [state.inputsArgument()] : [];
  let value: unknown;
  try {
    value = await method.apply(state.self, args);
  } catch (err) {
    // What the step set before it threw goes to the host too: the failed task keeps it.
    state.abandonKeepingWritten();
    throw err;
  }
  const outcome = state.finish();
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

/** Finds the exported FlowSpec subclass among a bundle's exports. */
export function findFlowClass(exports: Record<string, unknown>, flowName: string): { prototype: any; name: string } {
  const cls = exports[flowName];
  if (typeof cls !== "function") throw new Error(`The flow file does not export the class ${flowName}`);
  return cls as { prototype: any; name: string };
}
