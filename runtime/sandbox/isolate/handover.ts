/**
 * Artifacts crossing between the host and an isolate context as wire values (store/wire), with
 * the memory of large typed arrays moved instead of copied: isolated-vm's ExternalCopy with
 * `transferOut` takes a buffer's memory out of one isolate in constant time and `copy({ transferIn:
 * true })` gives it to the other. Small buffers are copied with the rest of the message.
 *
 * Moving a buffer detaches it, and every view on it then reads as empty, so views are described
 * (buffer, offset, length) first and buffers moved after: for a load at once, for a task's
 * artifacts once the step has handed all of them over (two artifacts may be views on one buffer).
 * Used on both sides: by the prelude inside the context and by the host's bridge.
 */
import { type RecordColumn, VIEW_TYPES, type WireValue } from "../../../store/portable.js";

/** Buffers smaller than this are copied: a move costs a handle and a round of bookkeeping. */
export const MOVE_MIN_BYTES = 64 * 1024;

/** The part of isolated-vm's ExternalCopy used here (the prelude has no types for it). */
export interface ExternalCopyHandle {
  copy(options: { transferIn: boolean }): ArrayBuffer;
}
export type ExternalCopyClass = new (buffer: ArrayBuffer, options: { transferOut: boolean }) => ExternalCopyHandle;

/** A view on a buffer that moves separately: entry `moved` of the sender's buffers for this task. */
interface MovedView {
  moved: number;
  type: string;
  byteOffset: number;
  length: number;
}

type Field = ArrayBufferView | MovedView;

/** Buffers on their way, by the index their views name. */
export type MovedBuffers = [index: number, handle: ExternalCopyHandle][];

/** A wire value in transit, with the buffers that moved along with it (none when they follow later). */
export interface Handover {
  wire: WireValue;
  buffers: MovedBuffers;
}

/** Typed array and DataView constructors by name (store/wire's table). */
const VIEWS = VIEW_TYPES as Record<string, new (b: ArrayBuffer, offset: number, length: number) => ArrayBufferView>;

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

/** A view copied with the message: only its own bytes, not the rest of a larger buffer it sits on. */
function compact(view: ArrayBufferView): ArrayBufferView {
  if (view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) return view;
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
  const ctor = VIEWS[view.constructor.name];
  const size = (view as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
  return ctor ? new ctor(bytes.buffer, 0, bytes.byteLength / size) : bytes;
}

/** A task's buffers leaving one side: each listed once, in the order views named them. */
export class Outbox {
  readonly #index = new Map<ArrayBufferLike, number>();
  readonly #buffers: ArrayBuffer[] = [];

  /** The wire value with its large buffers' views described, to be moved by `send`. */
  describe(wire: WireValue): WireValue {
    return mapFields(wire, (field) => {
      const view = field as ArrayBufferView;
      const { buffer } = view;
      let index = this.#index.get(buffer);
      if (index === undefined) {
        if (buffer.byteLength < MOVE_MIN_BYTES || !(buffer instanceof ArrayBuffer)) return compact(view);
        index = this.#buffers.length;
        this.#index.set(buffer, index);
        this.#buffers.push(buffer);
      }
      const size = (view as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
      return { moved: index, type: view.constructor.name, byteOffset: view.byteOffset, length: view.byteLength / size };
    });
  }

  /**
   * The described buffers not sent yet, moved (their memory leaves this side, which must not touch
   * them again) or, when `move` is false, copied.
   */
  send(ExternalCopy: ExternalCopyClass, move: boolean): MovedBuffers {
    const out: MovedBuffers = [];
    this.#buffers.forEach((buffer, index) => {
      if (buffer.byteLength > 0 || !move) out.push([index, new ExternalCopy(buffer, { transferOut: move })]);
    });
    this.#buffers.length = 0;
    return out;
  }
}

/** One wire value with its buffers moved at once (the host's side of a load: it owns them). */
export function handOver(wire: WireValue, ExternalCopy: ExternalCopyClass): Handover {
  const outbox = new Outbox();
  const described = outbox.describe(wire);
  return { wire: described, buffers: outbox.send(ExternalCopy, true) };
}

/** Takes in moved buffers, by index, into `received`. */
export function receive(buffers: MovedBuffers, received: ArrayBuffer[]): void {
  for (const [index, handle] of buffers) received[index] = handle.copy({ transferIn: true });
}

/** The wire value with its moved views rebuilt on the received buffers. */
export function takeOver(wire: WireValue, received: ArrayBuffer[]): WireValue {
  return mapFields(wire, (field) => {
    if (!isMoved(field)) return field;
    const buffer = received[field.moved];
    const ctor = VIEWS[field.type];
    if (!buffer || !ctor) throw new Error(`steplab: a moved ${field.type} did not arrive`);
    return new ctor(buffer, field.byteOffset, field.length);
  });
}

/** Whether a wire value names buffers that move separately (it cannot be read before they arrive). */
export function awaitsBuffers(wire: WireValue): boolean {
  let waits = false;
  mapFields(wire, (field) => {
    waits ||= isMoved(field);
    return field;
  });
  return waits;
}
