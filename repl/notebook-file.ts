/**
 * The notebook file as the REPL uses it: open one to list its cells, `%save` the session as one.
 * The .ipynb model itself (validation, nbformat layout, directives) is notebooks/'s.
 */
import { cellSource, cellTags, codeCell, newNotebook, parseCell, readNotebook, writeNotebook } from "../notebooks/index.js";
import type { NotebookCell } from "./model/index.js";

/** Tags equivalent to a cell's `//% …` directives (step:NAME, prev:A, foreach:X, setup, parameters, skip). */
export function directiveTags(source: string): string[] {
  let d: ReturnType<typeof parseCell>;
  try {
    d = parseCell(source);
  } catch {
    return []; // a malformed directive is the session's to report when the cell runs
  }
  if (d.kind === "setup" || d.kind === "parameters" || d.kind === "skip") return [d.kind];
  if (d.kind !== "step") return [];
  return [
    ...(d.step !== undefined ? [`step:${d.step}`] : []),
    ...(d.prev ?? []).map((p) => `prev:${p}`),
    ...(d.foreach !== undefined ? [`foreach:${d.foreach}`] : []),
  ];
}

/** Writes cells as an nbformat 4.5 notebook: directives stay in the source and are also written as tags. */
export function saveNotebook(path: string, cells: { source: string; tags: string[] }[]): void {
  const nbCells = cells.map((c) => codeCell(c.source, [...new Set([...directiveTags(c.source), ...c.tags])]));
  writeNotebook(path, newNotebook(nbCells));
}

/** The cells of a notebook file (throws notebooks' NotebookError with a one-line message). */
export function loadNotebook(path: string): NotebookCell[] {
  return readNotebook(path).cells.map((c) => ({ id: c.id, cellType: c.cell_type, source: cellSource(c), tags: cellTags(c) }));
}
