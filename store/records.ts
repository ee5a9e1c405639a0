/**
 * Arrays of flat records (`[{ id: 1, name: "a", value: 0.5 }, …]`, every row a plain object with
 * the same keys in the same order and a number, string or boolean under each) kept as columns: one
 * Float64Array per number column, the strings of a column joined into one text, few distinct
 * strings as codes into a list. Finding the columns is one pass over the rows and building rows
 * back is one generated loop, both several times faster than structured clone on a million rows,
 * and the columns cross an isolate boundary as a few buffers instead of a million objects.
 *
 * Portable (no Node APIs): the isolate prelude and the host both use it, so a value gets the same
 * bytes, and the same hash, whichever side encodes it. Anything else (a null, a nested object, a
 * row with another key) is not a record table, and the value is stored by structured clone.
 */

/** Below this many rows structured clone is about as fast, and one format is enough. */
export const MIN_RECORD_ROWS = 256;
/** More columns than this and the generated loops stop paying for themselves. */
const MAX_COLUMNS = 512;
/** A string column is a category column while it has at most this many distinct values... */
const MAX_CATEGORIES = 65_535;

export type RecordColumn =
  | { key: string; kind: "number"; values: Float64Array }
  | { key: string; kind: "boolean"; values: Uint8Array }
  /**
   * The column's strings joined, as the text (when read) or its UTF-8 bytes (when written);
   * `lengths[i]` is row i's length in UTF-16 code units.
   */
  | { key: string; kind: "string"; text?: string; utf8?: Uint8Array; lengths: Uint32Array }
  /** Row i's string is `categories[codes[i]]`. */
  | { key: string; kind: "category"; categories: string[]; codes: Uint8Array | Uint16Array };

export interface RecordTable {
  length: number;
  columns: RecordColumn[];
}

type Kind = "number" | "boolean" | "string";

/** A column while the rows are read. */
interface Collecting {
  numbers?: Float64Array;
  flags?: Uint8Array;
  strings?: string[];
  lengths?: Uint32Array;
  /** Distinct strings so far, while the column can still be a category column (see scanner). */
  seen?: Map<string, number>;
  codes?: Uint16Array;
}

function isPlainRecord(row: unknown): row is Record<string, unknown> {
  if (typeof row !== "object" || row === null) return false;
  const proto = Object.getPrototypeOf(row);
  return proto === Object.prototype || proto === null;
}

function kindOf(value: unknown): Kind | undefined {
  const t = typeof value;
  return t === "number" || t === "boolean" || t === "string" ? t : undefined;
}

function collecting(kind: Kind, n: number): Collecting {
  if (kind === "number") return { numbers: new Float64Array(n) };
  if (kind === "boolean") return { flags: new Uint8Array(n) };
  return { strings: new Array<string>(n), lengths: new Uint32Array(n), seen: new Map(), codes: new Uint16Array(n) };
}

type Scanner = (rows: unknown[], n: number, keys: string[], columns: Collecting[]) => boolean;
const scanners = new Map<string, Scanner>();

/**
 * One loop over the rows for these keys and kinds, generated so that each field is read by its
 * name (one hidden class, one inline cache) instead of by a key that varies: several times faster
 * on a million rows. Keys appear only as JSON string literals. A string column stops being a
 * category column once more than half of the rows so far (past the first 512) brought a new value.
 */
function scanner(keys: string[], kinds: Kind[]): Scanner {
  const signature = JSON.stringify([keys, kinds]);
  let scan = scanners.get(signature);
  if (scan) return scan;
  const setup: string[] = [];
  const body: string[] = [];
  const after: string[] = [];
  kinds.forEach((kind, j) => {
    const read = `const v${j} = row[${JSON.stringify(keys[j])}]; if (typeof v${j} !== "${kind}") return false;`;
    if (kind === "number") {
      setup.push(`const n${j} = columns[${j}].numbers;`);
      body.push(`${read} n${j}[i] = v${j};`);
    } else if (kind === "boolean") {
      setup.push(`const f${j} = columns[${j}].flags;`);
      body.push(`${read} f${j}[i] = v${j} ? 1 : 0;`);
    } else {
      setup.push(
        `const s${j} = columns[${j}].strings, l${j} = columns[${j}].lengths, k${j} = columns[${j}].codes; let m${j} = columns[${j}].seen;`,
      );
      body.push(
        `${read} s${j}[i] = v${j}; l${j}[i] = v${j}.length;`,
        `if (m${j} !== undefined) { let c = m${j}.get(v${j}); if (c === undefined) { c = m${j}.size; if (c >= ${MAX_CATEGORIES} || c > (i >> 1) + 256) m${j} = undefined; else m${j}.set(v${j}, c); } k${j}[i] = c; }`,
      );
      after.push(`columns[${j}].seen = m${j};`);
    }
  });
  const code = `${setup.join("\n")}
const width = keys.length;
for (let i = 0; i < n; i++) {
  const row = rows[i];
  if (typeof row !== "object" || row === null) return false;
  const proto = Object.getPrototypeOf(row);
  if (proto !== Object.prototype && proto !== null) return false;
  let k = 0;
  for (const key in row) { if (key !== keys[k]) return false; k++; }
  if (k !== width) return false;
  ${body.join("\n  ")}
}
${after.join("\n")}
return true;`;
  scan = new Function("rows", "n", "keys", "columns", code) as Scanner;
  if (scanners.size > 64) scanners.clear();
  scanners.set(signature, scan);
  return scan;
}

/**
 * The strings' UTF-8 bytes, one after another; undefined when one holds a lone surrogate, which
 * UTF-8 cannot. Written here rather than by joining the strings and encoding the result: an
 * isolate's TextEncoder is a call to the host, and a million-string join costs more than this loop.
 * ASCII, the common case, is copied a byte per UTF-16 unit, which the buffer has room for from the
 * start; a string with other characters makes room for the rest of itself as it comes.
 */
function utf8Of(strings: readonly string[], utf16Length: number): Uint8Array | undefined {
  let out = new Uint8Array(utf16Length);
  let at = 0;
  let unitsLeft = utf16Length;
  for (let k = 0; k < strings.length; k++) {
    const s = strings[k]!;
    const length = s.length;
    let i = 0;
    for (; i < length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      out[at + i] = c;
    }
    at += i;
    unitsLeft -= length;
    if (i === length) continue;
    // At most 3 bytes a unit for the rest of this string; the strings after it need their 1 a unit.
    const room = at + (length - i) * 3 + unitsLeft;
    if (room > out.length) {
      const grown = new Uint8Array(Math.max(out.length * 2, room));
      grown.set(out.subarray(0, at));
      out = grown;
    }
    at = utf8From(s, i, out, at);
    if (at < 0) return undefined;
  }
  return out.subarray(0, at);
}

/** Writes `s` from unit `i` on as UTF-8 into `out` at `at` (which has room); the end, or -1 at a lone surrogate. */
function utf8From(s: string, i: number, out: Uint8Array, at: number): number {
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      out[at++] = c;
    } else if (c < 0x800) {
      out[at++] = 0xc0 | (c >> 6);
      out[at++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c > 0xdfff) {
      out[at++] = 0xe0 | (c >> 12);
      out[at++] = 0x80 | ((c >> 6) & 0x3f);
      out[at++] = 0x80 | (c & 0x3f);
    } else {
      const d = c <= 0xdbff ? s.charCodeAt(i + 1) : 0;
      if (!(d >= 0xdc00 && d <= 0xdfff)) return -1;
      const point = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
      out[at++] = 0xf0 | (point >> 18);
      out[at++] = 0x80 | ((point >> 12) & 0x3f);
      out[at++] = 0x80 | ((point >> 6) & 0x3f);
      out[at++] = 0x80 | (point & 0x3f);
      i++;
    }
  }
  return at;
}

function finish(key: string, kind: Kind, c: Collecting): RecordColumn | undefined {
  if (kind === "number") return { key, kind, values: c.numbers! };
  if (kind === "boolean") return { key, kind, values: c.flags! };
  if (c.seen) {
    const codes = c.seen.size <= 256 ? new Uint8Array(c.codes!) : c.codes!;
    return { key, kind: "category", categories: [...c.seen.keys()], codes };
  }
  let utf16Length = 0;
  for (const length of c.lengths!) utf16Length += length;
  // Text is stored as UTF-8, which cannot hold a lone surrogate: such a value is left to structured clone.
  const utf8 = utf8Of(c.strings!, utf16Length);
  return utf8 && { key, kind: "string", utf8, lengths: c.lengths! };
}

/** The array's columns when it is an array of flat records (see above), else undefined. */
export function recordTable(value: unknown): RecordTable | undefined {
  if (!Array.isArray(value) || value.length < MIN_RECORD_ROWS || Object.getPrototypeOf(value) !== Array.prototype) return undefined;
  const rows = value as unknown[];
  const first = rows[0];
  if (!isPlainRecord(first)) return undefined;
  const keys = Object.keys(first);
  if (keys.length === 0 || keys.length > MAX_COLUMNS || keys.includes("__proto__")) return undefined;
  const kinds: Kind[] = [];
  for (const key of keys) {
    const kind = kindOf(first[key]);
    if (!kind) return undefined;
    kinds.push(kind);
  }
  const n = rows.length;
  const collected = kinds.map((kind) => collecting(kind, n));
  // The same keys in the same order on every row, and no inherited enumerable ones (for-in lists them).
  if (!scanner(keys, kinds)(rows, n, keys, collected)) return undefined;
  // Structured clone keeps an array's own named properties (d3's csvParse sets `columns`): so must we.
  // The scan found a row at every index (no holes), so any value past n is a named property's.
  // Object.values, not Object.keys: keys makes a string for each of a million indices (~120 ms).
  if (Object.values(rows).length !== n) return undefined;
  const columns: RecordColumn[] = [];
  for (let j = 0; j < keys.length; j++) {
    const column = finish(keys[j]!, kinds[j]!, collected[j]!);
    if (!column) return undefined;
    columns.push(column);
  }
  return { length: n, columns };
}

/**
 * Whether a value is an array of flat records, without collecting its columns: nothing in it is a
 * class instance, so the class envelope (store/envelope) can leave it as it is.
 */
export function isFlatRecordArray(value: unknown): boolean {
  if (!Array.isArray(value) || value.length < MIN_RECORD_ROWS) return false;
  for (const row of value as unknown[]) {
    if (!isPlainRecord(row)) return false;
    for (const key in row) {
      const v = row[key];
      if (typeof v === "object" || typeof v === "function") return false;
    }
  }
  return true;
}

type RowBuilder = (columns: RecordColumn[], n: number, textOf: (column: RecordColumn) => string) => Record<string, unknown>[];

/** A string column's text: read from a blob it is text already; a table not yet stored has its UTF-8. */
function textOf(column: RecordColumn): string {
  if (column.kind !== "string") return "";
  return column.text ?? new TextDecoder().decode(column.utf8);
}
const rowBuilders = new Map<string, RowBuilder>();

/** How row i's value of column j is read, in the generated loop. */
function readValue(column: RecordColumn, j: number): { setup: string; value: string } {
  const c = `columns[${j}]`;
  switch (column.kind) {
    case "number":
      return { setup: `const v${j} = ${c}.values;`, value: `v${j}[i]` };
    case "boolean":
      return { setup: `const v${j} = ${c}.values;`, value: `v${j}[i] === 1` };
    case "category":
      return { setup: `const v${j} = ${c}.codes, d${j} = ${c}.categories;`, value: `d${j}[v${j}[i]]` };
    case "string":
      return {
        setup: `const t${j} = textOf(${c}), l${j} = ${c}.lengths; let o${j} = 0;`,
        value: `t${j}.slice(o${j}, (o${j} += l${j}[i]))`,
      };
  }
}

/**
 * A loop that makes each row with one object literal: rows then share one hidden class, as rows
 * made by user code do, and building a million takes a fraction of what structured clone needs.
 * Keys are written as JSON string literals, and "__proto__" never reaches here (recordTable).
 */
function rowBuilder(columns: RecordColumn[]): RowBuilder {
  const signature = JSON.stringify(columns.map((c) => [c.key, c.kind]));
  let build = rowBuilders.get(signature);
  if (!build) {
    const reads = columns.map((c, j) => readValue(c, j));
    const fields = columns.map((c, j) => `${JSON.stringify(c.key)}: ${reads[j]!.value}`).join(", ");
    const setup = reads.map((r) => r.setup).join("\n");
    build = new Function(
      "columns",
      "n",
      "textOf",
      `${setup}\nconst out = [];\nfor (let i = 0; i < n; i++) out.push({ ${fields} });\nreturn out;`,
    ) as RowBuilder;
    if (rowBuilders.size > 64) rowBuilders.clear();
    rowBuilders.set(signature, build);
  }
  return build;
}

/** The rows back from their columns. */
export function recordRows(table: RecordTable): Record<string, unknown>[] {
  return rowBuilder(table.columns)(table.columns, table.length, textOf);
}
