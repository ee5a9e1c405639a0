/**
 * A flow's parameter defaults, evaluated as Metaflow evaluates them: by loading the flow's code.
 * The class is constructed (its field initializers are the Parameter() calls) and each default
 * is handed to the host as an artifact named after its field; a default given as a function is
 * called. No step runs.
 */
import { currentHost, emitArtifact } from "./host-bridge.js";
import type { GuestOutcome } from "./request.js";

interface Marker {
  __steplabParameter?: string;
  __steplabIncludeFile?: string;
  default?: unknown;
}

export function emitParameterDefaults(flowClass: { prototype: object }): GuestOutcome {
  const flow = new (flowClass as unknown as new () => Record<string, unknown>)();
  const host = currentHost();
  const emitted: string[] = [];
  for (const [field, value] of Object.entries(flow)) {
    const marker = value as Marker | null;
    if (typeof marker !== "object" || marker === null) continue;
    if (marker.__steplabParameter === undefined && marker.__steplabIncludeFile === undefined) continue;
    const given = typeof marker.default === "function" ? (marker.default as () => unknown)() : marker.default;
    if (given === undefined) continue;
    emitArtifact(host, field, given);
    emitted.push(field);
  }
  return { emitted, deleted: [], merged: {} };
}
