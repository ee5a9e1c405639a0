/** `%export FLOW.ts` and `%save`: the session's cells as notebook cells, and as a flow file. */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { codeCell, newNotebook, notebookToFlow, parseCell } from "../../notebooks/index.js";
import type { SessionCell } from "./cells.js";

/** A cell as the notebook keeps it; a cell that is scratch only by `%scratch on` carries the `skip` tag. */
export function notebookCell(cell: SessionCell): { source: string; tags: string[] } {
  const scratchOnly = cell.directives.kind === "skip" && !cell.tags.includes("skip") && parseCell(cell.source, cell.tags).kind !== "skip";
  return { source: cell.source, tags: scratchOnly ? [...cell.tags, "skip"] : [...cell.tags] };
}

export function exportFlow(
  cells: readonly SessionCell[],
  opts: { flow: string; file: string; cwd: string; notebookPath?: string },
): string {
  const nb = newNotebook(cells.map(notebookCell).map((c) => codeCell(c.source, c.tags)));
  const source = notebookToFlow(nb, { name: opts.flow, file: opts.notebookPath });
  const target = path.resolve(opts.cwd, opts.file);
  writeFileSync(target, source);
  return target;
}
