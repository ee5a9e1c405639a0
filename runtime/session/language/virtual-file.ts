/**
 * The one file the language service sees: prelude, setup code, then the cell — wrapped in an async
 * function (top-level await, locals stay local) unless it is a setup or parameters cell.
 */
import { blankMagics, cellScope } from "./cell-text.js";
import { buildPrelude } from "./prelude.js";
import type { CellContext } from "./types.js";

export const CELL_FUNCTION = "__steplab_cell";

export interface VirtualFile {
  text: string;
  /** Offset of the cell's first character in `text`. */
  cellStart: number;
  cellEnd: number;
  setupStart: number;
  setupEnd: number;
}

export function buildVirtualFile(code: string, ctx: CellContext, sandboxGlobals: boolean): VirtualFile {
  const scope = cellScope(code, ctx);
  const isParameters = (ctx.kind ?? "") === "parameters" || /^[ \t]*\/\/%[ \t]*parameters\b/m.test(code);
  const prelude = buildPrelude(ctx, { sandboxGlobals, declareParameters: !isParameters });
  const setup = ctx.setupCode;
  const open = scope === "module" ? "\n;\n" : `\n;\nasync function ${CELL_FUNCTION}() {\n`;
  const close = scope === "module" ? "\n" : "\n}\n";
  const setupStart = prelude.length;
  const cellStart = setupStart + setup.length + open.length;
  const cell = blankMagics(code);
  return {
    text: prelude + setup + open + cell + close,
    cellStart,
    cellEnd: cellStart + cell.length,
    setupStart,
    setupEnd: setupStart + setup.length,
  };
}
