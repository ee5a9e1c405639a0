/**
 * Artifacts are stored in V8's structured-clone format (`v8.serialize`): the same algorithm the
 * sandbox uses to copy values, so anything a step can hand over can be stored, cycles included.
 */
import { createHash } from "node:crypto";
import { deserialize, serialize } from "node:v8";
import { ArtifactEncodeError } from "./errors.js";

/** Encodes an artifact value; throws ArtifactEncodeError (without the artifact's name) if it cannot. */
export function encodeArtifact(value: unknown): Uint8Array {
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

export function decodeArtifact(bytes: Uint8Array): unknown {
  // Typed arrays in the result may be views on `bytes`' buffer (Node avoids a copy when aligned),
  // so callers must hand over bytes they own, never a buffer that gets reused.
  return deserialize(bytes);
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
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
