/**
 * A TypeScript type text for a stored artifact value, so `self.` completes artifacts with useful
 * types. Large or deep values are summarised (capped samples, `any` below `depth`): the text is a
 * hint for completion, never a proof.
 */

const MAX_SAMPLES = 50;
const MAX_UNION = 4;
const MAX_KEYS = 40;

const TYPED_ARRAYS = new Set([
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
]);

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

export function propertyKey(name: string): string {
  return IDENTIFIER.test(name) ? name : JSON.stringify(name);
}

function union(types: string[], fallback: string): string {
  const distinct = [...new Set(types)];
  if (distinct.length === 0) return fallback;
  if (distinct.includes("any") || distinct.length > MAX_UNION) return "any";
  return distinct.join(" | ");
}

/** A union used where a postfix `[]` follows must be parenthesised. */
function elementType(types: string[]): string {
  const t = union(types, "any");
  return t.includes(" | ") ? `(${t})` : t;
}

function sample<T>(items: Iterable<T>): T[] {
  const out: T[] = [];
  for (const item of items) {
    if (out.length >= MAX_SAMPLES) break;
    out.push(item);
  }
  return out;
}

function isEnvelope(value: object): boolean {
  return typeof (value as { __steplabClass?: unknown }).__steplabClass === "string";
}

export function typeOfValue(value: unknown, depth = 3): string {
  switch (typeof value) {
    case "number":
    case "string":
    case "boolean":
    case "bigint":
    case "symbol":
    case "undefined":
      return typeof value;
    case "function":
      return "((...args: any[]) => any)";
  }
  if (value === null) return "null";
  const obj = value as object;
  if (obj instanceof Date) return "Date";
  if (obj instanceof RegExp) return "RegExp";
  if (ArrayBuffer.isView(obj)) {
    if (obj instanceof DataView) return "DataView";
    // A subclass (Node's Buffer) is typed as the typed array it extends.
    for (let proto = Object.getPrototypeOf(obj); proto; proto = Object.getPrototypeOf(proto)) {
      const name: unknown = proto.constructor?.name;
      if (typeof name === "string" && TYPED_ARRAYS.has(name)) return name;
    }
    return "ArrayBufferView";
  }
  if (obj instanceof ArrayBuffer) return "ArrayBuffer";
  if (isEnvelope(obj)) return "any";
  const inner = depth - 1;
  if (Array.isArray(obj)) {
    if (depth <= 0) return "any[]";
    return `${elementType(sample(obj).map((v) => typeOfValue(v, inner)))}[]`;
  }
  if (obj instanceof Map) {
    if (depth <= 0) return "Map<any, any>";
    const entries = sample(obj.entries());
    const keys = union(
      entries.map(([k]) => typeOfValue(k, inner)),
      "any",
    );
    const values = union(
      entries.map(([, v]) => typeOfValue(v, inner)),
      "any",
    );
    return `Map<${keys}, ${values}>`;
  }
  if (obj instanceof Set) {
    if (depth <= 0) return "Set<any>";
    return `Set<${union(
      sample(obj.values()).map((v) => typeOfValue(v, inner)),
      "any",
    )}>`;
  }
  if (obj instanceof Error) return "Error";
  if (depth <= 0) return "Record<string, any>";
  // Plain objects, and instances that were stored as their fields (structured clone).
  const keys = Object.keys(obj);
  if (keys.length === 0) return "Record<string, any>";
  const fields = keys.slice(0, MAX_KEYS).map((k) => `${propertyKey(k)}: ${typeOfValue((obj as Record<string, unknown>)[k], inner)}`);
  if (keys.length > MAX_KEYS) fields.push("[key: string]: any");
  return `{ ${fields.join("; ")} }`;
}
