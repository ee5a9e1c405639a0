/**
 * A typed array (or DataView) artifact is stored in exactly the bytes `v8.serialize` gives it: a
 * few header bytes (V8's version, the host-object tag, Node's type index, the byte length), then
 * the array's memory. Here they are made without copying that memory into a new buffer (the header
 * is a part of its own), and read back in place; either way a blob holds the same bytes, so it has
 * the same hash and `v8.deserialize` reads it.
 */
import { serialize } from "node:v8";
import { VIEW_TYPES, type ViewType } from "./wire.js";

/** Per type: v8.serialize's bytes for an empty view, without the final byte (its length, 0). */
const prefixes = new Map<ViewType, Uint8Array>();
let typeOfIndex: Map<number, ViewType> | undefined;

function empty(type: ViewType): ArrayBufferView {
  const ctor = VIEW_TYPES[type];
  return ctor === DataView ? new DataView(new ArrayBuffer(0)) : new (ctor as Uint8ArrayConstructor)(0);
}

function prefix(type: ViewType): Uint8Array {
  let bytes = prefixes.get(type);
  if (!bytes) {
    bytes = serialize(empty(type)).subarray(0, -1);
    prefixes.set(type, bytes);
  }
  return bytes;
}

function varint(n: number): number[] {
  const out: number[] = [];
  let rest = n;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

/** V8 writes a view's byte length as a uint32: larger views are not framed (serialize refuses them too). */
export const MAX_FRAMED_BYTES = 0xffff_ffff;

/** The bytes that precede a view's memory in its blob. */
export function viewHeader(type: ViewType, byteLength: number): Uint8Array {
  const head = prefix(type);
  const length = varint(byteLength);
  const out = new Uint8Array(head.length + length.length);
  out.set(head);
  out.set(length, head.length);
  return out;
}

function readVarint(bytes: Uint8Array, at: number): [value: number, next: number] | undefined {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 5; i++) {
    const b = bytes[i]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, i + 1];
    scale *= 0x80;
  }
  return undefined;
}

function indexTable(): Map<number, ViewType> {
  if (!typeOfIndex) {
    typeOfIndex = new Map();
    for (const type of Object.keys(VIEW_TYPES) as ViewType[]) {
      const head = prefix(type);
      typeOfIndex.set(head[head.length - 1]!, type);
    }
  }
  return typeOfIndex;
}

/**
 * Where the view's memory starts when `head` (a blob's first bytes) frames one view: the offset of
 * its first element, its type and byte length. Undefined for any other value.
 */
export function viewAt(head: Uint8Array): { type: ViewType; start: number; byteLength: number } | undefined {
  // Every prefix is V8's version and the host-object tag, then Node's type index.
  const known = prefix("Uint8Array");
  const indexAt = known.length - 1;
  if (head.length <= known.length) return undefined;
  for (let i = 0; i < indexAt; i++) if (head[i] !== known[i]) return undefined;
  const type = indexTable().get(head[indexAt]!);
  const length = type && readVarint(head, known.length);
  return length ? { type: type!, start: length[1], byteLength: length[0] } : undefined;
}

/** The view a whole blob holds, or undefined when the blob is not exactly one view. */
export function framedView(bytes: Uint8Array): { type: ViewType; bytes: Uint8Array } | undefined {
  const at = viewAt(bytes.subarray(0, 16));
  if (!at || at.start + at.byteLength !== bytes.length) return undefined;
  return { type: at.type, bytes: bytes.subarray(at.start) };
}

/** Bytes to leave before a blob whose first bytes are `head`, so that a framed view's memory starts 8-aligned. */
export function alignmentPad(head: Uint8Array): number {
  const at = viewAt(head);
  return at ? (8 - (at.start % 8)) % 8 : 0;
}
