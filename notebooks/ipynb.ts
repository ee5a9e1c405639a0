/**
 * The Jupyter notebook file (nbformat 4.5): reading with validation, building and writing.
 * Writing follows Jupyter's own layout (1-space indent, `source` as a list of lines) so
 * files steplab writes diff cleanly against files Jupyter saves.
 */
import { randomUUID } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { NotebookError } from "./errors.js";

export type CellType = "code" | "markdown" | "raw";

export interface NotebookCell {
  id: string;
  cell_type: CellType;
  /** Jupyter stores either one string or a list of lines (each but the last ending in "\n"). */
  source: string | string[];
  metadata: { tags?: string[]; [key: string]: unknown };
  /** Code cells only. */
  outputs?: unknown[];
  execution_count?: number | null;
  attachments?: Record<string, unknown>;
}

export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: NotebookCell[];
}

export const KERNELSPEC = { name: "steplab", display_name: "TypeScript (steplab)", language: "typescript" } as const;

export const LANGUAGE_INFO = {
  name: "typescript",
  file_extension: ".ts",
  mimetype: "text/typescript",
} as const;

/** A cell's source as one string, whichever way the file stored it. */
export function cellSource(cell: Pick<NotebookCell, "source">): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** A cell's tags (an empty list when it has none). */
export function cellTags(cell: Pick<NotebookCell, "metadata">): string[] {
  const tags = cell.metadata?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
}

/** nbformat cell ids: 1-64 characters of [a-zA-Z0-9-_]. */
export function newCellId(): string {
  return randomUUID().replace(/-/g, "").slice(0, 12);
}

export function codeCell(source: string, tags: string[] = [], id: string = newCellId()): NotebookCell {
  const metadata: NotebookCell["metadata"] = tags.length > 0 ? { tags: [...tags] } : {};
  return { id, cell_type: "code", source, metadata, outputs: [], execution_count: null };
}

export function markdownCell(source: string, id: string = newCellId()): NotebookCell {
  return { id, cell_type: "markdown", source, metadata: {} };
}

/** An empty steplab notebook, or one holding `cells`. */
export function newNotebook(cells: NotebookCell[] = []): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { ...KERNELSPEC }, language_info: { ...LANGUAGE_INFO } },
    cells,
  };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/**
 * Validates parsed JSON as an nbformat 4 notebook and normalises it to 4.5: every cell gets an
 * id (older 4.x files have none) and a metadata object. `name` is used in messages only.
 */
export function parseNotebook(text: string, name = "notebook"): Notebook {
  // Binary data (an image, an archive saved as .ipynb) decodes with replacement characters or
  // control bytes; JSON.parse would quote them back in its message, garbling the terminal.
  if (/[\ufffd\x00-\x08\x0e-\x1f]/.test(text.slice(0, 4096))) {
    throw new NotebookError(`${name} is not a notebook: it holds binary data, not JSON text`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const why = message
      .replace(/\s+/g, " ")
      .replace(/[\x00-\x1f\x7f-\x9f]/g, "?")
      .slice(0, 120);
    throw new NotebookError(`${name} is not a notebook: it is not valid JSON (${why})`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new NotebookError(`${name} is not a notebook: it holds ${describe(data)}, not a notebook object`);
  }
  const raw = data as Record<string, unknown>;
  if (raw.nbformat !== 4) {
    const found = raw.nbformat === undefined ? "no nbformat field" : `nbformat ${JSON.stringify(raw.nbformat)}`;
    throw new NotebookError(`${name} is not a notebook steplab can read: it has ${found} (nbformat 4 expected; re-save it with Jupyter)`);
  }
  if (!Array.isArray(raw.cells)) {
    throw new NotebookError(`${name} is not a notebook: it has no "cells" list`);
  }
  const seen = new Set<string>();
  const cells = raw.cells.map((c: unknown, i: number): NotebookCell => {
    const where = `${name}: cell ${i + 1}`;
    if (typeof c !== "object" || c === null || Array.isArray(c)) throw new NotebookError(`${where} is ${describe(c)}, not a cell object`);
    const cell = c as Record<string, unknown>;
    const type = cell.cell_type;
    if (type !== "code" && type !== "markdown" && type !== "raw") {
      throw new NotebookError(`${where} has cell_type ${JSON.stringify(type)} (expected "code", "markdown" or "raw")`);
    }
    const source = cell.source;
    const okSource = typeof source === "string" || (Array.isArray(source) && source.every((s) => typeof s === "string"));
    if (!okSource) throw new NotebookError(`${where} has no source text (a string or a list of strings expected)`);
    const metadata =
      typeof cell.metadata === "object" && cell.metadata !== null && !Array.isArray(cell.metadata)
        ? (cell.metadata as NotebookCell["metadata"])
        : {};
    let id = typeof cell.id === "string" && /^[a-zA-Z0-9_-]{1,64}$/.test(cell.id) ? cell.id : newCellId();
    while (seen.has(id)) id = newCellId();
    seen.add(id);
    const out: NotebookCell = { ...(cell as object), id, cell_type: type, source: source as string | string[], metadata };
    if (type === "code") {
      out.outputs = Array.isArray(cell.outputs) ? cell.outputs : [];
      out.execution_count = typeof cell.execution_count === "number" ? cell.execution_count : null;
    }
    return out;
  });
  const metadata = typeof raw.metadata === "object" && raw.metadata !== null ? (raw.metadata as Record<string, unknown>) : {};
  const minor = typeof raw.nbformat_minor === "number" ? raw.nbformat_minor : 0;
  return { nbformat: 4, nbformat_minor: Math.max(minor, 5), metadata, cells };
}

/** Reads and validates a notebook file; every failure is a one-line NotebookError. */
export function readNotebook(path: string): Notebook {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (code ?? String(e));
    throw new NotebookError(`cannot read notebook ${path}: ${why}`);
  }
  return parseNotebook(text, basename(path));
}

/** Splits text the way Jupyter stores `source`: lines keeping their "\n". */
function toLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.length === 1 && lines[0] === "" ? [] : lines;
}

/** The notebook as Jupyter writes it (1-space indent, sources as line lists, trailing newline). */
export function serializeNotebook(nb: Notebook): string {
  const cells = nb.cells.map((c) => ({ ...c, source: toLines(cellSource(c)) }));
  return `${JSON.stringify({ ...nb, cells }, null, 1)}\n`;
}

/** Writes through a temporary file so an interrupted write never leaves half a notebook. */
export function writeNotebook(path: string, nb: Notebook): void {
  writeFileAtomic(path, serializeNotebook(nb));
}

export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
