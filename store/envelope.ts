/**
 * Class instances cannot cross the structured-clone boundary with their prototype, so a
 * registered class (or one following the ml.js convention: `toJSON()` plus a static `load(json)`)
 * travels as an envelope `{ __steplabClass: name, json }` and is rebuilt on the way back in.
 */
import { isFlatRecordArray } from "./records.js";

export interface ArtifactClass {
  name: string;
  load?: (json: any) => unknown;
  prototype: { toJSON?: () => unknown };
}

const registry = new Map<string, ArtifactClass>();

export function registerArtifactClass(cls: ArtifactClass, name: string = cls.name): void {
  registry.set(name, cls);
}

export function isEnvelope(value: unknown): value is { __steplabClass: string; json: unknown } {
  return typeof value === "object" && value !== null && typeof (value as any).__steplabClass === "string";
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Replace class instances inside `value` by envelopes (plain objects, arrays and Map values are walked). */
export function toEnvelopes(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value)) return seen.get(value);
  // A million rows of plain data hold no instance: walking and copying them would cost seconds.
  if (isFlatRecordArray(value)) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(toEnvelopes(item, seen));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map();
    seen.set(value, out);
    for (const [k, v] of value) out.set(k, toEnvelopes(v, seen));
    return out;
  }
  if (ArrayBuffer.isView(value) || value instanceof Date || value instanceof RegExp || value instanceof Set) {
    return value;
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    seen.set(value, out);
    for (const [k, v] of Object.entries(value)) out[k] = toEnvelopes(v, seen);
    return out;
  }
  const ctor = (value as { constructor?: ArtifactClass }).constructor;
  const registered = ctor && [...registry.entries()].find(([, c]) => c === ctor)?.[0];
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  if (ctor && typeof toJSON === "function" && (registered || typeof ctor.load === "function")) {
    const envelope = { __steplabClass: registered ?? ctor.name, json: nestedToJSON(toJSON.call(value)) };
    seen.set(value, envelope);
    return envelope;
  }
  if (ctor && registered) {
    // A registered class without toJSON: its own enumerable fields, rebuilt onto its prototype.
    const envelope = { __steplabClass: registered, fields: toEnvelopes({ ...value }, seen) };
    seen.set(value, envelope);
    return envelope;
  }
  return value; // left to structured clone, which stores its fields as a plain object
}

/**
 * `toJSON()` results as JSON.stringify would see them: a class instance nested in the result (ml-knn's
 * KDTree inside a KNN model, which holds a distance function) is replaced by its own toJSON().
 * Everything else stays as it is, so typed arrays, Maps and Dates keep their type.
 */
function nestedToJSON(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value)) return seen.get(value);
  if (ArrayBuffer.isView(value) || value instanceof Date || value instanceof RegExp || value instanceof Map || value instanceof Set) {
    return value;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(nestedToJSON(item, seen));
    return out;
  }
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  if (!isPlainObject(value) && typeof toJSON === "function") {
    const out = nestedToJSON(toJSON.call(value), seen);
    seen.set(value, out);
    return out;
  }
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [k, v] of Object.entries(value)) out[k] = nestedToJSON(v, seen);
  return out;
}

/** Rebuild registered class instances from envelopes; unknown classes stay envelopes. */
export function fromEnvelopes(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value)) return seen.get(value);
  if (isEnvelope(value)) {
    const cls = registry.get(value.__steplabClass);
    if (!cls) return value;
    const fields = (value as { fields?: Record<string, unknown> }).fields;
    const restored =
      fields !== undefined
        ? Object.assign(Object.create(cls.prototype), fromEnvelopes(fields, seen))
        : cls.load
          ? cls.load(value.json)
          : Object.assign(Object.create(cls.prototype), value.json);
    seen.set(value, restored);
    return restored;
  }
  if (isFlatRecordArray(value)) return value;
  if (Array.isArray(value)) {
    seen.set(value, value);
    for (let i = 0; i < value.length; i++) value[i] = fromEnvelopes(value[i], seen);
    return value;
  }
  if (value instanceof Map) {
    seen.set(value, value);
    for (const [k, v] of value) value.set(k, fromEnvelopes(v, seen));
    return value;
  }
  if (isPlainObject(value)) {
    seen.set(value, value);
    for (const [k, v] of Object.entries(value)) (value as Record<string, unknown>)[k] = fromEnvelopes(v, seen);
  }
  return value;
}
