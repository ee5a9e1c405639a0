/**
 * How artifact values become bytes. Three encodings, told apart by their first bytes:
 *  - a typed array or DataView: exactly `v8.serialize`'s bytes, made without copying the array
 *    (store/view-frame);
 *  - an array of flat records: columns (store/records, store/records-bytes), "SLR1";
 *  - anything else: V8's structured-clone format (`v8.serialize`), the algorithm the sandbox uses
 *    to copy values, so anything a step can hand over can be stored, cycles included.
 * An artifact's sha is the sha256 of its encoded bytes, however they are stored (store/chunks).
 */
import { createHash } from "node:crypto";
import { deserialize, serialize } from "node:v8";
import { ArtifactEncodeError } from "./errors.js";
import { type RecordTable, recordRows } from "./records.js";
import { isRecordBlob, recordParts, recordTableFromBytes } from "./records-bytes.js";
import { framedView, MAX_FRAMED_BYTES, viewHeader } from "./view-frame.js";
import { toWire, type WireValue } from "./wire.js";

/** An artifact encoded: its bytes as parts read in order (a large array's memory is one of them, uncopied). */
export interface Encoded {
  parts: Uint8Array[];
  size: number;
  /** sha256 of the parts together, hex. */
  sha: string;
  /** A readable type name for `dump` and `task.artifacts`. */
  type: string;
}

function serializeOrExplain(value: unknown): Uint8Array {
  try {
    return serialize(value);
  } catch (err) {
    const culprit = findUncloneable(value);
    const where = culprit ? describeCulprit(culprit) : `a value of type ${typeName(value)}`;
    const detail = err instanceof Error ? ` (${err.message})` : "";
    throw new ArtifactEncodeError(
      `cannot store ${where}${detail}: artifacts must be structured-cloneable — plain objects, arrays, ` +
        `Map, Set, Date, RegExp, typed arrays, BigInt — or registered classes; ` +
        `functions, symbols, generators and promises cannot be stored`,
      culprit?.path ?? "",
      culprit?.found ?? typeName(value),
    );
  }
}

function wireParts(wire: WireValue): Uint8Array[] {
  switch (wire.kind) {
    case "view":
      if (wire.bytes.byteLength <= MAX_FRAMED_BYTES) return [viewHeader(wire.type, wire.bytes.byteLength), wire.bytes];
      return [serializeOrExplain(wire.bytes)]; // too large for V8's format: serialize says so
    case "records":
      return recordParts(wire.table);
    case "value":
      return [serializeOrExplain(wire.value)];
  }
}

/**
 * Encodes a value in the form it crossed a sandbox boundary in; throws ArtifactEncodeError (without
 * the artifact's name). `known(parts)` may name the sha of bytes it can tell are a stored blob's
 * (a value the step read and handed back unchanged); the others are hashed.
 */
export function encodeWire(
  wire: WireValue,
  type: string,
  known?: (parts: readonly Uint8Array[], size: number) => string | undefined,
): Encoded {
  const parts = wireParts(wire);
  const size = parts.reduce((n, p) => n + p.byteLength, 0);
  return { parts, size, sha: known?.(parts, size) ?? sha256Parts(parts), type };
}

/**
 * Encodes a value (`table`: its record table, when the caller found it); throws
 * ArtifactEncodeError (without the artifact's name) if it cannot.
 */
export function encode(value: unknown, table?: RecordTable): Encoded {
  return encodeWire(toWire(value, table), typeName(value));
}

/** The parts in one buffer (a copy unless there is one part). */
export function joinParts(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** A value's encoded bytes in one buffer; throws ArtifactEncodeError (without the artifact's name) if it cannot. */
export function encodeArtifact(value: unknown): Uint8Array {
  return joinParts(encode(value).parts);
}

export function decodeArtifact(bytes: Uint8Array): unknown {
  // Typed arrays in the result may be views on `bytes`' buffer (Node avoids a copy when aligned),
  // so callers must hand over bytes they own, never a buffer that gets reused.
  if (isRecordBlob(bytes)) return recordRows(recordTableFromBytes(bytes));
  return deserialize(bytes);
}

/** Encoded bytes in the form they cross into a sandbox: a view or columns on `bytes`' memory, else the decoded value. */
export function wireFromBytes(bytes: Uint8Array): WireValue {
  if (isRecordBlob(bytes)) return { kind: "records", table: recordTableFromBytes(bytes) };
  const view = framedView(bytes);
  if (view) return { kind: "view", ...view };
  return { kind: "value", value: deserialize(bytes) };
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function sha256Parts(parts: readonly Uint8Array[]): string {
  const hash = createHash("sha256");
  for (const p of parts) hash.update(p);
  return hash.digest("hex");
}

/** The class name the guest wraps registered class instances in (see SPEC §1, `registerArtifactClass`). */
function envelopeClass(value: object): string | undefined {
  const name = (value as { __steplabClass?: unknown }).__steplabClass;
  return typeof name === "string" && name !== "" ? name : undefined;
}

/** A readable type name for `dump` and `task.artifacts`. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  const t = typeof value;
  if (t !== "object") return t === "function" ? "function" : t;
  const obj = value as object;
  if (Array.isArray(obj)) return "Array";
  if (typeof Buffer !== "undefined" && Buffer.isBuffer(obj)) return "Uint8Array";
  if (ArrayBuffer.isView(obj)) return obj.constructor.name;
  const envelope = envelopeClass(obj);
  if (envelope) return envelope;
  const proto: unknown = Object.getPrototypeOf(obj);
  if (proto === null || proto === Object.prototype) return "Object";
  const ctor = (obj as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === "string" && ctor.name !== "" ? ctor.name : "Object";
}

interface Culprit {
  path: string;
  found: string;
}

function describeCulprit(c: Culprit): string {
  const article = /^[aeiou]/i.test(c.found) ? "an" : "a";
  return c.path === "" ? `${article} ${c.found}` : `${article} ${c.found} at ${c.path}`;
}

const UNCLONEABLE_CLASSES = ["Promise", "WeakMap", "WeakSet", "WeakRef", "Generator", "AsyncGenerator"];

/** Walks the value (only after serialize failed) to say where the part that cannot be stored is. */
function findUncloneable(root: unknown): Culprit | undefined {
  const seen = new Set<object>();
  const visit = (value: unknown, path: string): Culprit | undefined => {
    if (typeof value === "function") return { path, found: "function" };
    if (typeof value === "symbol") return { path, found: "symbol" };
    if (value === null || typeof value !== "object") return undefined;
    if (seen.has(value)) return undefined;
    seen.add(value);
    const tag = Object.prototype.toString.call(value).slice(8, -1);
    if (UNCLONEABLE_CLASSES.includes(tag)) return { path, found: tag };
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return undefined;
    if (value instanceof Map) {
      let i = 0;
      for (const [k, v] of value) {
        const found = visit(k, `${path}.<key ${i}>`) ?? visit(v, `${path}.get(${keyLabel(k)})`);
        if (found) return found;
        i++;
      }
      return undefined;
    }
    if (value instanceof Set) {
      let i = 0;
      for (const v of value) {
        const found = visit(v, `${path}.<item ${i}>`);
        if (found) return found;
        i++;
      }
      return undefined;
    }
    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key];
      const found = visit(child, Array.isArray(value) ? `${path}[${key}]` : `${path}${propLabel(key)}`);
      if (found) return found;
    }
    return undefined;
  };
  return visit(root, "");
}

function propLabel(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function keyLabel(key: unknown): string {
  return typeof key === "string" ? JSON.stringify(key) : typeof key === "object" ? typeName(key) : String(key);
}
