/**
 * One artifact in a card: arrays of rows as tables, numbers and small values inline, large ones
 * summarised (what they are, how big, a few values), and values too big to load described from
 * their reference alone.
 */
import { inspect } from "node:util";
import { isEnvelope, type ArtifactRef } from "../../store/index.js";
import { escapeHtml, formatBytes } from "./html.js";

/** Bigger artifacts are described, not loaded: a card must open fast. */
export const LOAD_LIMIT_BYTES = 4 * 1024 * 1024;
export const TABLE_ROWS = 100;
const INLINE_CHARS = 300;
const PRE_CHARS = 4000;

function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value) || isEnvelope(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function isRowArray(value: unknown): value is Record<string, unknown>[] {
  return Array.isArray(value) && value.length > 0 && value.every(isRecord);
}

function cellText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  if (isEnvelope(value)) return `${value.__steplabClass} {…}`;
  return inspect(value, { depth: 1, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 100 });
}

export function rowsTable(rows: Record<string, unknown>[], limit = TABLE_ROWS): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const shown = rows.slice(0, limit);
  const head = `<tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr>`;
  const body = shown
    .map(
      (r) =>
        `<tr>${columns.map((c) => `<td${typeof r[c] === "number" ? ' class="num"' : ""}>${c in r ? escapeHtml(cellText(r[c])) : ""}</td>`).join("")}</tr>`,
    )
    .join("");
  const more = rows.length > shown.length ? `<p class="more">… ${rows.length - shown.length} more rows (${rows.length} in all)</p>` : "";
  return `<table class="rows"><thead>${head}</thead><tbody>${body}</tbody></table>${more}`;
}

function numericSummary(values: ArrayLike<number>): string {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const n = values.length;
  const fmt = (x: number) => String(Number(x.toPrecision(6)));
  const first = Array.from({ length: Math.min(n, 12) }, (_, i) => fmt(values[i]!)).join(", ");
  return `min ${fmt(min)} · max ${fmt(max)} · mean ${fmt(sum / n)}<br><code>[${escapeHtml(first)}${n > 12 ? ", …" : ""}]</code>`;
}

function pre(text: string): string {
  const cut = text.length > PRE_CHARS ? `${text.slice(0, PRE_CHARS)}\n… (${text.length - PRE_CHARS} more characters)` : text;
  return `<pre>${escapeHtml(cut)}</pre>`;
}

/** The value part of an artifact's entry. */
export function valueHtml(value: unknown): string {
  if (value === null || value === undefined || typeof value === "boolean" || typeof value === "bigint")
    return `<code>${escapeHtml(String(value))}</code>`;
  if (typeof value === "number") return `<code class="num">${escapeHtml(cellText(value))}</code>`;
  if (typeof value === "string") {
    if (value.length <= INLINE_CHARS && !value.includes("\n")) return `<code>${escapeHtml(JSON.stringify(value))}</code>`;
    return pre(value);
  }
  if (value instanceof Date) return `<code>${escapeHtml(value.toISOString())}</code>`;
  if (isRowArray(value)) return rowsTable(value);
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "number")) {
    return `<div class="summary">${value.length} numbers: ${numericSummary(value)}</div>`;
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView) && typeof (value as unknown as ArrayLike<unknown>)[0] !== "bigint") {
    const arr = value as unknown as ArrayLike<number>;
    return arr.length ? `<div class="summary">${arr.length} values: ${numericSummary(arr)}</div>` : "<code>(empty)</code>";
  }
  if (isEnvelope(value))
    return `<div class="summary">an instance of <b>${escapeHtml(value.__steplabClass)}</b></div>${pre(inspect(value.json, { depth: 2, maxArrayLength: 20, breakLength: 100 }))}`;
  const text = inspect(value, { depth: 3, maxArrayLength: 30, maxStringLength: 200, breakLength: 100 });
  if (text.length <= INLINE_CHARS && !text.includes("\n")) return `<code>${escapeHtml(text)}</code>`;
  return pre(text);
}

export interface ArtifactEntry {
  name: string;
  ref: ArtifactRef;
  /** Undefined when the artifact was not loaded (too large) or could not be decoded. */
  load: () => unknown;
}

export function artifactHtml(entry: ArtifactEntry): string {
  const { name, ref } = entry;
  const head = `<div class="artifact-head"><span class="name">${escapeHtml(name)}</span> <span class="type">${escapeHtml(ref.type)}</span> <span class="size">${formatBytes(ref.size)}</span></div>`;
  let body: string;
  if (ref.size > LOAD_LIMIT_BYTES) {
    body = `<div class="summary">${escapeHtml(ref.type)} of ${formatBytes(ref.size)}: too large to show in a card (read it with the client: Task(…).data.${escapeHtml(name)})</div>`;
  } else {
    try {
      body = valueHtml(entry.load());
    } catch (err) {
      body = `<div class="summary error">cannot load: ${escapeHtml((err as Error).message)}</div>`;
    }
  }
  return `<section class="artifact" data-artifact="${escapeHtml(name)}">${head}${body}</section>`;
}
