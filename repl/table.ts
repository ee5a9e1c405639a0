/**
 * Arrays of records as text tables: what a user wants to see for `rows.slice(0, 5)` or an
 * artifact holding a data set, instead of a wall of nested braces.
 */
import { inspect } from "node:util";

export type Row = Record<string, unknown>;

function isPlainRecord(v: unknown): v is Row {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** True for a non-empty array of plain objects whose values are mostly scalars. */
export function isRecordArray(v: unknown): v is Row[] {
  if (!Array.isArray(v) || v.length === 0) return false;
  if (!v.every(isPlainRecord)) return false;
  const first = v[0] as Row;
  const keys = Object.keys(first);
  return keys.length > 0 && keys.length <= 50;
}

/** A Frictionless data resource (`application/vnd.dataresource+json`), as pandas and display.table emit. */
export function rowsOfDataResource(v: unknown): Row[] | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const data = (v as { data?: unknown }).data;
  return isRecordArray(data) ? data : undefined;
}

export interface TableOptions {
  maxRows?: number;
  maxCellWidth?: number;
  maxWidth?: number;
}

function cellText(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "";
  if (typeof v === "string") return v.replace(/\n/g, "\\n");
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (v instanceof Date) return v.toISOString();
  return inspect(v, { depth: 1, breakLength: Infinity, compact: true });
}

export function truncate(s: string, width: number): string {
  if (width <= 1) return s.slice(0, Math.max(0, width));
  return s.length > width ? `${s.slice(0, width - 1)}…` : s;
}

/** Render rows as lines of a box-drawn table; numbers are right-aligned. */
export function formatTable(rows: Row[], opts: TableOptions = {}): string[] {
  const maxRows = opts.maxRows ?? 20;
  const maxCell = opts.maxCellWidth ?? 30;
  const columns: string[] = [];
  for (const row of rows.slice(0, maxRows)) for (const k of Object.keys(row)) if (!columns.includes(k)) columns.push(k);
  const shown = rows.slice(0, maxRows);
  const header = ["", ...columns];
  const body = shown.map((row, i) => [String(i), ...columns.map((c) => truncate(cellText(row[c]), maxCell))]);
  const numeric = header.map(
    (_, ci) => ci === 0 || shown.every((r) => typeof r[columns[ci - 1] ?? ""] === "number" || r[columns[ci - 1] ?? ""] === undefined),
  );
  const widths = header.map((h, ci) => Math.max(h.length, ...body.map((r) => (r[ci] ?? "").length)));
  // Drop trailing columns that would not fit the terminal rather than wrapping every row.
  const maxWidth = opts.maxWidth ?? Infinity;
  let count = widths.length;
  while (count > 2 && widths.slice(0, count).reduce((a, w) => a + w + 3, 1) > maxWidth) count--;
  const cut = count < widths.length;
  const pad = (s: string, ci: number) => (numeric[ci] ? s.padStart(widths[ci] ?? 0) : s.padEnd(widths[ci] ?? 0));
  const line = (cells: string[]) =>
    cells
      .slice(0, count)
      .map((c, ci) => ` ${pad(c, ci)} `)
      .join("│") + (cut ? "│ …" : "");
  const rule = widths
    .slice(0, count)
    .map((w) => "─".repeat(w + 2))
    .join("┼");
  const out = [line(header), rule, ...body.map(line)];
  if (rows.length > shown.length) out.push(`… ${rows.length - shown.length} more rows (${rows.length} total)`);
  return out;
}
