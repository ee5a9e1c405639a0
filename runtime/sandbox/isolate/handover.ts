/**
 * Artifacts crossing between the host and an isolate context as wire values (store/wire), with
 * the memory of large typed arrays moved instead of copied: isolated-vm's ExternalCopy with
 * `transferOut` takes a buffer's memory out of one isolate in constant time and `copy({ transferIn:
 * true })` gives it to the other. Small buffers are copied with the rest of the message. Used on
 * both sides: by the prelude inside the context and by the host's bridge.
 */
import type { RecordColumn, WireValue } from "../../../store/portable.js";

/** Buffers smaller than this are copied: a move costs a handle and a round of bookkeeping. */
export const MOVE_MIN_BYTES = 64 * 1024;

/** The part of isolated-vm's ExternalCopy used here (the prelude has no types for it). */
export interface ExternalCopyHandle {
  copy(options: { transferIn: boolean }): ArrayBuffer;
}
export type ExternalCopyClass = new (buffer: ArrayBuffer, options: { transferOut: boolean }) => ExternalCopyHandle;

/** A view whose buffer was moved: the buffer is entry `buffer` of the sender's table for this task. */
interface MovedView {
  moved: number;
  type: string;
  byteOffset: number;
  length: number;
}

type Field = ArrayBufferView | MovedView;

/** A wire value in transit, with the buffers moved along with it (by their index in the table). */
export interface Handover {
  wire: WireValue;
  buffers: [index: number, handle: ExternalCopyHandle][];
}

function isMoved(field: unknown): field is MovedView {
  return typeof field === "object" && field !== null && typeof (field as MovedView).moved === "number";
}

/** Applies `f` to each typed array a wire value carries (none for a plain value). */
function mapFields(wire: WireValue, f: (field: Field) => Field): WireValue {
  switch (wire.kind) {
    case "value":
      return wire;
    case "view":
      return { ...wire, bytes: f(wire.bytes) as Uint8Array };
    case "records": {
      const columns = wire.table.columns.map((column) => {
        const out: Record<string, unknown> = { ...column };
        for (const [key, value] of Object.entries(column)) {
          if (ArrayBuffer.isView(value) || isMoved(value)) out[key] = f(value as Field);
        }
        return out as unknown as RecordColumn;
      });
      return { kind: "records", table: { length: wire.table.length, columns } };
    }
  }
}

const VIEWS: Record<string, new (b: ArrayBuffer, offset: number, length: number) => ArrayBufferView> = {
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
};

/** A view copied with the message: only its own bytes, not the rest of a larger buffer it sits on. */
function compact(view: ArrayBufferView): ArrayBufferView {
  if (view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) return view;
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
  const ctor = VIEWS[view.constructor.name];
  const size = (view as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
  return ctor ? new ctor(bytes.buffer, 0, bytes.byteLength / size) : bytes;
}

/**
 * The sender's side. `table` maps buffers already moved in this task to their index (a buffer
 * shared by two artifacts moves once); `move` says whether a buffer may be moved at all (its owner
 * will not touch it again).
 */
export function handOver(
  wire: WireValue,
  ExternalCopy: ExternalCopyClass,
  table: Map<ArrayBufferLike, number>,
  move: (buffer: ArrayBufferLike) => boolean,
): Handover {
  const buffers: Handover["buffers"] = [];
  const out = mapFields(wire, (field) => {
    const view = field as ArrayBufferView;
    // Read before the move: a moved buffer is detached here, and its views become empty.
    const { buffer, byteOffset, byteLength } = view;
    const size = (view as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
    let index = table.get(buffer);
    if (index === undefined) {
      if (buffer.byteLength < MOVE_MIN_BYTES || !(buffer instanceof ArrayBuffer) || !move(buffer)) return compact(view);
      index = table.size;
      table.set(buffer, index);
      buffers.push([index, new ExternalCopy(buffer, { transferOut: true })]);
    }
    return { moved: index, type: view.constructor.name, byteOffset, length: byteLength / size };
  });
  return { wire: out, buffers };
}

/** The receiver's side: `received` holds this task's moved buffers by index, and gets the new ones. */
export function takeOver(handover: Handover, received: ArrayBuffer[]): WireValue {
  for (const [index, handle] of handover.buffers) received[index] = handle.copy({ transferIn: true });
  return mapFields(handover.wire, (field) => {
    if (!isMoved(field)) return field;
    const buffer = received[field.moved];
    const ctor = VIEWS[field.type];
    if (!buffer || !ctor) throw new Error(`steplab: a moved ${field.type} did not arrive`);
    return new ctor(buffer, field.byteOffset, field.length);
  });
}
