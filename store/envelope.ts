/**
 * Class instances cannot cross the structured-clone boundary with their prototype, so an instance
 * of a known class (artifact-classes.ts) travels as an envelope — `{ __steplabClass, fields }`
 * (its own fields) or `{ __steplabClass, json }` (its toJSON(), for classes with a static load) —
 * and is rebuilt on the way back in. An instance of any other class is refused when it is stored,
 * since nothing could rebuild it later: never a silent plain object.
 */
import {
  className,
  hasJsonConvention,
  registeredClass,
  registeredName,
  UnknownArtifactClassError,
  UnstorableClassError,
  type ArtifactClass,
} from "./artifact-classes.js";
import { isFlatRecordArray, recordTable, type RecordTable } from "./records.js";

export interface Envelope {
  __steplabClass: string;
  json?: unknown;
  fields?: Record<string, unknown>;
}

export function isEnvelope(value: unknown): value is Envelope {
  return typeof value === "object" && value !== null && typeof (value as Envelope).__steplabClass === "string";
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

/** Values structured clone keeps as they are (with their type). */
function isCloneable(value: object): boolean {
  return (
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer ||
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof Error ||
    value instanceof Boolean ||
    value instanceof Number ||
    value instanceof String ||
    (typeof BigInt === "function" && Object.prototype.toString.call(value) === "[object BigInt]")
  );
}

/** `out[key] = value`, also for a key named `__proto__` (which assignment would turn into a prototype). */
function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

function propPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** A value as a step hands it over to be stored (see toStorable). */
export interface Storable {
  value: unknown;
  /** The value's columns, when it is an array of flat records (store/records). */
  table?: RecordTable;
}

/**
 * What a step hands over to store `value`: its class instances in envelopes, or, for an array of
 * flat records (which holds none), its columns, found once: the wire form takes them as they are
 * instead of walking a million rows again.
 */
export function toStorable(value: unknown): Storable {
  const table = recordTable(value);
  return table ? { value, table } : { value: toEnvelopes(value) };
}

/**
 * Replaces class instances inside `value` by envelopes (plain objects, arrays, Map keys and values
 * and Set items are walked). Throws UnstorableClassError for an instance no step could rebuild.
 */
export function toEnvelopes(value: unknown, seen = new Map<object, unknown>(), path = ""): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value)) return seen.get(value);
  // A million rows of plain data hold no instance: walking and copying them would cost seconds.
  if (isFlatRecordArray(value)) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (let i = 0; i < value.length; i++) out.push(toEnvelopes(value[i], seen, `${path}[${i}]`));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map();
    seen.set(value, out);
    let i = 0;
    for (const [k, v] of value) {
      out.set(toEnvelopes(k, seen, `${path}.<key ${i}>`), toEnvelopes(v, seen, `${path}.get(${i})`));
      i++;
    }
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    seen.set(value, out);
    let i = 0;
    for (const item of value) out.add(toEnvelopes(item, seen, `${path}.<item ${i++}>`));
    return out;
  }
  if (isCloneable(value)) return value;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    seen.set(value, out);
    for (const [k, v] of Object.entries(value)) setOwn(out, k, toEnvelopes(v, seen, propPath(path, k)));
    return out;
  }
  const ctor = (value as { constructor?: ArtifactClass }).constructor;
  const name = registeredName(ctor);
  const label = typeof ctor?.name === "string" && ctor.name !== "" ? ctor.name : "(anonymous)";
  if (!ctor || name === undefined) throw new UnstorableClassError(label, path, !!ctor && hasJsonConvention(ctor));
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === "function") {
    const envelope: Envelope = { __steplabClass: name, json: nestedToJSON(toJSON.call(value)) };
    seen.set(value, envelope);
    return envelope;
  }
  // Its own enumerable fields, rebuilt onto its prototype (private #fields do not travel).
  const envelope: Envelope = { __steplabClass: name };
  seen.set(value, envelope);
  envelope.fields = toEnvelopes(Object.fromEntries(Object.entries(value)), seen, path) as Record<string, unknown>;
  return envelope;
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
  for (const [k, v] of Object.entries(value)) setOwn(out, k, nestedToJSON(v, seen));
  return out;
}

export interface RebuildOptions {
  /** Who holds the value, for errors: "Artifact 'model' of task F/1/start/1". */
  subject?: string;
  /**
   * An instance of a class not known here: "throw" (default) says which class to register;
   * "describe" gives a stand-in of the same class name holding its data, for display only.
   */
  unknown?: "throw" | "describe";
}

const standIns = new Map<string, new () => object>();

/** An object whose class is named like the original, so `dump` and inspect show `Point { x: 1 }`. */
function standIn(name: string, data: unknown): object {
  let cls = standIns.get(name);
  if (!cls) {
    cls = { [name]: class {} }[name]!;
    standIns.set(name, cls);
  }
  const out = new cls();
  if (typeof data === "object" && data !== null && isPlainObject(data)) {
    for (const [k, v] of Object.entries(data)) setOwn(out as Record<string, unknown>, k, v);
  } else {
    setOwn(out as Record<string, unknown>, "json", data);
  }
  return out;
}

/** Rebuilds class instances from envelopes, in place where the container allows. */
export function fromEnvelopes(value: unknown, options: RebuildOptions = {}, seen = new Map<object, unknown>()): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value)) return seen.get(value);
  const again = (v: unknown) => fromEnvelopes(v, options, seen);
  if (isEnvelope(value)) {
    const cls = registeredClass(value.__steplabClass);
    const fields = value.fields;
    let restored: unknown;
    if (!cls) {
      if (options.unknown !== "describe") {
        throw new UnknownArtifactClassError(className(value.__steplabClass), options.subject ?? "The value");
      }
      restored = standIn(className(value.__steplabClass), fields ?? value.json);
      seen.set(value, restored);
      if (fields !== undefined)
        for (const [k, v] of Object.entries(restored as object)) setOwn(restored as Record<string, unknown>, k, again(v));
      return restored;
    }
    if (fields !== undefined) {
      // The instance exists before its fields are rebuilt, so a field may point back at it.
      restored = Object.create(cls.prototype);
      seen.set(value, restored);
      for (const [k, v] of Object.entries(fields)) setOwn(restored as Record<string, unknown>, k, again(v));
      return restored;
    }
    restored = cls.load ? cls.load(value.json) : Object.assign(Object.create(cls.prototype), value.json);
    seen.set(value, restored);
    return restored;
  }
  if (isFlatRecordArray(value)) return value;
  seen.set(value, value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = again(value[i]);
  } else if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => [again(k), again(v)] as const);
    value.clear();
    for (const [k, v] of entries) value.set(k, v);
  } else if (value instanceof Set) {
    const items = [...value].map(again);
    value.clear();
    for (const item of items) value.add(item);
  } else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) setOwn(value as Record<string, unknown>, k, again(v));
  }
  return value;
}
