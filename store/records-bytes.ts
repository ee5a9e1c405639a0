/**
 * A record table (store/records) as bytes: "SLR1", a 4-byte little-endian length, a JSON header
 * naming the rows and columns, then each column's data starting at a multiple of 8 bytes:
 *   number    rows x float64
 *   boolean   rows x uint8 (0 or 1)
 *   string    rows x uint32 (UTF-16 length of each row's string), then the joined text in UTF-8
 *   category  rows x uint8 or uint16 (the width is in the header), codes into the header's list
 * Numbers are little-endian, as typed arrays are on every platform Node runs on. Written as parts
 * (the columns' own buffers, uncopied); read as views on the blob where they are aligned.
 */
import { StoreError } from "../errors/index.js";
import type { RecordColumn, RecordTable } from "./records.js";

const MAGIC = [0x53, 0x4c, 0x52, 0x31]; // "SLR1"
const ALIGN = 8;

interface ColumnHead {
  key: string;
  kind: RecordColumn["kind"];
  /** string: UTF-8 bytes of the joined text. */
  textBytes?: number;
  /** category: the distinct strings and the byte width of a code. */
  categories?: string[];
  width?: 1 | 2;
}

interface Header {
  rows: number;
  columns: ColumnHead[];
}

export function isRecordBlob(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && MAGIC.every((b, i) => bytes[i] === b);
}

const padTo = (n: number): number => (ALIGN - (n % ALIGN)) % ALIGN;
const zeros = new Uint8Array(ALIGN);

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** The table's bytes in order, its columns' buffers among them. */
export function recordParts(table: RecordTable): Uint8Array[] {
  const heads: ColumnHead[] = [];
  const bodies: Uint8Array[][] = [];
  for (const column of table.columns) {
    const { key, kind } = column;
    if (column.kind === "string") {
      const text = column.utf8 ?? Buffer.from(column.text ?? "", "utf8");
      heads.push({ key, kind, textBytes: text.length });
      bodies.push([bytesOf(column.lengths), text]);
    } else if (column.kind === "category") {
      heads.push({ key, kind, categories: column.categories, width: column.codes.BYTES_PER_ELEMENT as 1 | 2 });
      bodies.push([bytesOf(column.codes)]);
    } else {
      heads.push({ key, kind });
      bodies.push([bytesOf(column.values)]);
    }
  }
  const header: Header = { rows: table.length, columns: heads };
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const head = new Uint8Array(8 + json.length + padTo(8 + json.length));
  head.set(MAGIC);
  new DataView(head.buffer).setUint32(4, json.length, true);
  head.set(json, 8);
  const parts: Uint8Array[] = [head];
  for (const body of bodies) {
    for (const part of body) {
      parts.push(part);
      const pad = padTo(part.length);
      if (pad) parts.push(zeros.subarray(0, pad));
    }
  }
  return parts;
}

/** A typed array over `bytes[at, at + count * size)`, a view when aligned, else a copy. */
function column<T>(
  bytes: Uint8Array,
  at: number,
  count: number,
  ctor: { new (b: ArrayBuffer, o: number, n: number): T; BYTES_PER_ELEMENT: number },
): T {
  const offset = bytes.byteOffset + at;
  if (offset % ctor.BYTES_PER_ELEMENT === 0) return new ctor(bytes.buffer as ArrayBuffer, offset, count);
  const copy = bytes.slice(at, at + count * ctor.BYTES_PER_ELEMENT);
  return new ctor(copy.buffer, 0, count);
}

export function recordTableFromBytes(bytes: Uint8Array): RecordTable {
  const jsonLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  const header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, jsonLength).toString("utf8")) as Header;
  const n = header.rows;
  let at = 8 + jsonLength;
  at += padTo(at);
  const skip = (length: number): number => {
    const start = at;
    at += length + padTo(length);
    return start;
  };
  const columns: RecordColumn[] = header.columns.map((c): RecordColumn => {
    switch (c.kind) {
      case "number":
        return { key: c.key, kind: "number", values: column(bytes, skip(n * 8), n, Float64Array) };
      case "boolean":
        return { key: c.key, kind: "boolean", values: column(bytes, skip(n), n, Uint8Array) };
      case "category": {
        const width = c.width ?? 1;
        const at = skip(n * width);
        const codes = width === 1 ? column(bytes, at, n, Uint8Array) : column(bytes, at, n, Uint16Array);
        return { key: c.key, kind: "category", categories: c.categories ?? [], codes };
      }
      case "string": {
        const lengths = column(bytes, skip(n * 4), n, Uint32Array);
        const textAt = skip(c.textBytes ?? 0);
        const text = Buffer.from(bytes.buffer, bytes.byteOffset + textAt, c.textBytes ?? 0).toString("utf8");
        return { key: c.key, kind: "string", text, lengths };
      }
      default:
        throw new StoreError(`artifact data holds a record column of an unknown kind (${String(c.kind)}): written by a newer steplab?`);
    }
  });
  return { length: n, columns };
}
