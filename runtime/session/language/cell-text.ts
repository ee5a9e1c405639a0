/** Reading a cell as text: its magic lines, directive kind, and the word around a cursor. */
import type { CellContext } from "./types.js";

export const MAGIC_LINE = /^[ \t]*%(%?[A-Za-z_][\w-]*)(?:[ \t]+.*)?$/;
const DIRECTIVE_LINE = /^[ \t]*\/\/%(.*)$/;

/** Magic lines become spaces of the same length, so offsets into the cell keep their meaning. */
export function blankMagics(code: string): string {
  return code
    .split("\n")
    .map((line) => (MAGIC_LINE.test(line) ? " ".repeat(line.length) : line))
    .join("\n");
}

export type CellScope = "module" | "function";

/** Setup and parameters cells are module scope; step and skip cells are function bodies. */
export function cellScope(code: string, ctx: CellContext): CellScope {
  const kind = ctx.kind ?? directiveKind(code);
  return kind === "setup" || kind === "parameters" ? "module" : "function";
}

export function directiveKind(code: string): CellContext["kind"] {
  for (const line of code.split("\n")) {
    const m = DIRECTIVE_LINE.exec(line);
    if (!m) {
      if (line.trim() === "" || MAGIC_LINE.test(line)) continue;
      break;
    }
    const word = m[1]!.trim().split(/\s+/)[0];
    if (word === "setup" || word === "parameters" || word === "skip") return word;
  }
  return undefined;
}

const WORD_CHAR = /[\p{ID_Continue}$\u200c\u200d]/u;

/** The identifier touching `cursor`: [start, end) with start <= cursor <= end. */
export function wordAt(code: string, cursor: number): { start: number; end: number } {
  let start = cursor;
  while (start > 0 && WORD_CHAR.test(code[start - 1]!)) start--;
  let end = cursor;
  while (end < code.length && WORD_CHAR.test(code[end]!)) end++;
  return { start, end };
}

/** The text of the line the cursor is on, up to the cursor, and where that line starts. */
export function lineBefore(code: string, cursor: number): { text: string; start: number } {
  const start = code.lastIndexOf("\n", cursor - 1) + 1;
  return { text: code.slice(start, cursor), start };
}
