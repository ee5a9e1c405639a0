/**
 * Record keys are ordered tuples (lmdb-js ordered-binary): numeric ids are stored as numbers so a
 * range read returns runs and tasks in numeric order, not string order ("10" after "9").
 */
export type IdKey = number | string;

/** Sorts after every string or number element; ends a range over a tuple prefix. */
export const KEY_MAX = new Uint8Array([0xff]);

/** A numeric id as a number when that round-trips exactly, else the string itself. */
export function idKey(id: string): IdKey {
  if (/^(0|[1-9]\d{0,15})$/.test(id)) {
    const n = Number(id);
    if (Number.isSafeInteger(n)) return n;
  }
  return id;
}

export function compareIds(a: string, b: string): number {
  const ka = idKey(a);
  const kb = idKey(b);
  if (typeof ka === "number" && typeof kb === "number") return ka - kb;
  if (typeof ka === "number") return -1;
  if (typeof kb === "number") return 1;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export const runKey = (flow: string, runId: string) => [flow, idKey(runId)];
export const taskKey = (flow: string, runId: string, step: string, taskId: string) => [flow, idKey(runId), step, idKey(taskId)];
