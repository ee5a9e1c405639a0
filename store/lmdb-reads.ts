/** Reads of the LMDB datastore's databases that more than one of its operations makes. */
import type { Database } from "lmdb";
import { taskPathspec } from "./pathspec.js";
import type { TaskRecord } from "./types.js";

/**
 * Views on LMDB's memory (or its reused read buffer), each valid until the next read: whoever
 * asks for one uses it (copies or compares it) before asking for the next.
 */
export function blobViews(blobs: Database<Uint8Array, string>): (key: string) => Uint8Array | undefined {
  return (key) => {
    const fast = blobs.getBinaryFast(key);
    // lmdb-js sets `length` on a reused buffer; its byteLength is the buffer's capacity.
    return fast && new Uint8Array(fast.buffer, fast.byteOffset, fast.length);
  };
}

/** Which artifacts of which tasks refer to a blob (searched only when it turns out damaged). */
export function blobOwners(tasks: Database<TaskRecord, (string | number)[]>, sha: string, limit = 3): string[] {
  const found: string[] = [];
  for (const { value: task } of tasks.getRange({})) {
    for (const [name, ref] of Object.entries(task.artifacts)) {
      if (ref.sha === sha) found.push(`artifact '${name}' of ${taskPathspec(task)}`);
    }
    if (found.length >= limit) break;
  }
  return found;
}
