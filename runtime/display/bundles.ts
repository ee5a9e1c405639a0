/**
 * Host-side rendering of what steps and cells show: a cell's value and display() calls become
 * Jupyter MIME bundles ("text/plain" always; HTML tables for arrays of records; charts drawn here).
 */
import { inspect } from "node:util";
import { chartBundle } from "./chart-bundle.js";
import { chartSpec, type ChartOptions } from "./chart-spec.js";
import type { MimeBundle } from "./types.js";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

export function isTable(value: unknown): value is Record<string, unknown>[] {
  return Array.isArray(value) && value.length > 0 && value.every(isRecord);
}

function cellText(value: unknown): string {
  return typeof value === "string" ? value : inspect(value, { depth: 2, breakLength: Infinity });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

const MAX_TABLE_ROWS = 50;

export function tableBundle(rows: Record<string, unknown>[]): MimeBundle {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const shown = rows.slice(0, MAX_TABLE_ROWS);
  const cells = shown.map((r) => columns.map((c) => (c in r ? cellText(r[c]) : "")));
  const widths = columns.map((c, i) => Math.min(40, Math.max(c.length, ...cells.map((row) => row[i]!.length))));
  const fit = (t: string, w: number) => (t.length > w ? `${t.slice(0, w - 1)}…` : t.padEnd(w));
  const text = [
    columns.map((c, i) => fit(c, widths[i]!)).join("  "),
    widths.map((w) => "─".repeat(w)).join("  "),
    ...cells.map((row) => row.map((t, i) => fit(t, widths[i]!)).join("  ")),
    ...(rows.length > shown.length ? [`… ${rows.length - shown.length} more rows`] : []),
  ]
    .map((l) => l.trimEnd())
    .join("\n");
  const html =
    `<table><thead><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr></thead><tbody>` +
    cells.map((row) => `<tr>${row.map((t) => `<td>${escapeHtml(t)}</td>`).join("")}</tr>`).join("") +
    `</tbody></table>` +
    (rows.length > shown.length ? `<p>… ${rows.length - shown.length} more rows</p>` : "");
  return { "text/plain": text, "text/html": html };
}

/** A cell's value (already copied out of the isolate). */
export function valueBundle(value: unknown): MimeBundle {
  if (isRecord(value) && typeof value.__steplabText === "string" && Object.keys(value).length === 1) {
    return { "text/plain": value.__steplabText };
  }
  if (isTable(value)) return tableBundle(value);
  return { "text/plain": inspect(value, { depth: 4, colors: false, maxArrayLength: 100 }) };
}

function base64(data: unknown, kind: string): string {
  if (typeof data === "string") return data;
  if (data instanceof Uint8Array) return Buffer.from(data).toString("base64");
  if (data instanceof ArrayBuffer) return Buffer.from(new Uint8Array(data)).toString("base64");
  throw new TypeError(`display.${kind} takes bytes (Uint8Array) or a base64 string`);
}

/** Binary MIME types travel as base64 in Jupyter messages; text ones as they are. */
function isTextMime(mime: string): boolean {
  return (
    mime.startsWith("text/") ||
    mime.endsWith("+json") ||
    mime.endsWith("+xml") ||
    mime === "application/json" ||
    mime === "application/javascript"
  );
}

/** tslab's display.raw(contentType, data). */
function rawBundle(data: unknown): MimeBundle {
  const { mime, value } = (data ?? {}) as { mime?: unknown; value?: unknown };
  if (typeof mime !== "string" || !/^[\w.+-]+\/[\w.+-]+$/.test(mime))
    throw new TypeError("display.raw takes a MIME type (e.g. 'text/csv') and the data");
  if (mime === "text/plain") return { "text/plain": String(value) };
  const body = isTextMime(mime) && !(value instanceof Uint8Array) ? value : base64(value, "raw");
  return { "text/plain": `<${mime}>`, [mime]: body };
}

export function displayBundle(kind: string, data: unknown): MimeBundle {
  switch (kind) {
    case "html":
      return { "text/plain": "<HTML>", "text/html": String(data) };
    case "markdown":
      return { "text/plain": String(data), "text/markdown": String(data) };
    case "json":
      return { "text/plain": JSON.stringify(data, null, 2), "application/json": data };
    case "text":
      return { "text/plain": String(data) };
    case "latex":
      return { "text/plain": String(data), "text/latex": String(data) };
    case "javascript":
      return { "text/plain": "<JavaScript>", "application/javascript": String(data) };
    case "png":
      return { "text/plain": "<PNG image>", "image/png": base64(data, kind) };
    case "jpeg":
      return { "text/plain": "<JPEG image>", "image/jpeg": base64(data, kind) };
    case "gif":
      return { "text/plain": "<GIF image>", "image/gif": base64(data, kind) };
    case "pdf":
      return { "text/plain": "<PDF document>", "application/pdf": base64(data, kind) };
    case "svg":
      return { "text/plain": "<SVG image>", "image/svg+xml": String(data) };
    case "raw":
      return rawBundle(data);
    case "table":
      if (!isTable(data)) throw new TypeError("display.table takes an array of records ({ column: value } objects)");
      return tableBundle(data);
    case "vegalite":
      return chartBundle(data);
    case "bundle":
      // Made elsewhere already (a `process` step's child makes its own).
      return data as MimeBundle;
    case "chart": {
      const { rows, options } = (data ?? {}) as { rows?: unknown; options?: ChartOptions };
      return chartBundle(chartSpec(rows, options as ChartOptions));
    }
    default:
      return valueBundle(data);
  }
}
