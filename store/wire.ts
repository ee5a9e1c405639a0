/**
 * An artifact value on its way between a sandbox and the store, in the form that crosses cheaply:
 * a typed array as its bytes (an isolate hands its buffer over instead of copying it), an array of
 * flat records as its columns (store/records), anything else as the value, which the sandbox
 * copies by structured clone. Portable: the isolate prelude makes and reads these too.
 */
import { type RecordTable, recordRows, recordTable } from "./records.js";

/** The typed array and DataView constructors, by the name a wire value carries. */
export const VIEW_TYPES = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
} as const;
export type ViewType = keyof typeof VIEW_TYPES;

export type WireValue =
  | { kind: "value"; value: unknown }
  /** A typed array or DataView: `bytes` covers exactly its memory. */
  | { kind: "view"; type: ViewType; bytes: Uint8Array }
  | { kind: "records"; table: RecordTable };

/** The name under which a view travels; undefined for a Node Buffer or a subclass, which clone as values. */
export function viewType(value: ArrayBufferView): ViewType | undefined {
  const name = value.constructor?.name as ViewType | undefined;
  return name !== undefined && VIEW_TYPES[name] === value.constructor ? name : undefined;
}

export function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * The value in the form it crosses in (class envelopes already applied by the caller); `table` is
 * its record table when the caller found it already (store/envelope toStorable).
 */
export function toWire(value: unknown, table?: RecordTable): WireValue {
  if (table) return { kind: "records", table };
  if (ArrayBuffer.isView(value)) {
    const type = viewType(value);
    // A view on a SharedArrayBuffer is cloned as one; only ordinary memory is handed over.
    const shared = typeof SharedArrayBuffer !== "undefined" && value.buffer instanceof SharedArrayBuffer;
    if (type && !shared) return { kind: "view", type, bytes: bytesOf(value) };
  }
  const found = recordTable(value);
  if (found) return { kind: "records", table: found };
  return { kind: "value", value };
}

/** The value a wire form stands for. */
export function fromWire(wire: WireValue): unknown {
  switch (wire.kind) {
    case "value":
      return wire.value;
    case "records":
      return recordRows(wire.table);
    case "view": {
      const ctor = VIEW_TYPES[wire.type];
      const { bytes } = wire;
      if (ctor === DataView) return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const size = (ctor as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
      const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
      return new (ctor as Float64ArrayConstructor)(aligned.buffer, aligned.byteOffset, aligned.byteLength / size);
    }
  }
}
