/**
 * Guest side (bundled into the prelude): how many bytes the host would allocate to copy a bridge
 * call's arguments out of the isolate, checked before the call. A string built by repeated
 * concatenation or `repeat` costs the guest almost nothing (V8 keeps it as a tree of parts) but is
 * copied flat, and a string referenced a thousand times is copied a thousand times: without this,
 * a step limited to 64 MB could make the host allocate gigabytes.
 */
export const BRIDGE_COPY_LIMIT = "__steplabCopyLimit";

const isView = ArrayBuffer.isView;
const keys = Object.keys;
const isArray = Array.isArray;

/** What the user called, for the bridge functions behind it. */
const USER_NAMES: Record<string, string> = {
  log: "console output",
  logText: "console output",
  emit: "an artifact",
  encodeUtf8: "TextEncoder.encode()",
  decodeText: "TextDecoder.decode()",
  display: "display()",
  clone: "structuredClone()",
  result: "the cell's value",
  runFlow: "runFlow()",
  prompt: "prompt()",
};

/** Throws a RangeError when copying `args` would take more than `limit` bytes on the host. */
export function checkCopySize(what: string, args: readonly unknown[], limit: number): void {
  let bytes = 0;
  const seen = new Set<object>();
  const pending: unknown[] = [...args];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === "string") {
      // Structured clone writes every occurrence of a string; objects only once.
      bytes += value.length;
    } else if (typeof value === "object" && value !== null && !seen.has(value)) {
      seen.add(value);
      if (isView(value)) bytes += value.byteLength;
      else if (value instanceof ArrayBuffer) bytes += value.byteLength;
      else if (value instanceof Map) for (const [k, v] of value) pending.push(k, v);
      else if (value instanceof Set) for (const v of value) pending.push(v);
      else if (isArray(value)) for (let i = 0; i < value.length; i++) pending.push(value[i]);
      else for (const key of keys(value)) pending.push(key, (value as Record<string, unknown>)[key]);
    }
    if (bytes > limit) {
      throw new RangeError(
        `${USER_NAMES[what] ?? what}: the value is too large to hand to steplab (more than the step's memoryMb, ${Math.round(limit / 2 ** 20)} MB)`,
      );
    }
  }
}
