/**
 * The prompt's buffer as a value: text plus a cursor (a UTF-16 index). Every edit returns a new
 * state, so the REPL model (reduce.ts) keeps it as a plain value and each key makes a new one.
 */
export interface EditorState {
  readonly text: string;
  readonly cursor: number;
}

export const emptyEditor: EditorState = { text: "", cursor: 0 };

export function editorOf(text: string, cursor = text.length): EditorState {
  return { text, cursor: Math.max(0, Math.min(cursor, text.length)) };
}

export interface CursorPosition {
  line: number;
  col: number;
  lines: string[];
}

export function position(s: EditorState): CursorPosition {
  const before = s.text.slice(0, s.cursor);
  const lines = s.text.split("\n");
  const line = before.split("\n").length - 1;
  const col = s.cursor - (before.lastIndexOf("\n") + 1);
  return { line, col, lines };
}

function offsetOf(lines: string[], line: number, col: number): number {
  let off = 0;
  for (let i = 0; i < line; i++) off += (lines[i] ?? "").length + 1;
  return off + Math.min(col, (lines[line] ?? "").length);
}

export function insert(s: EditorState, str: string): EditorState {
  return { text: s.text.slice(0, s.cursor) + str + s.text.slice(s.cursor), cursor: s.cursor + str.length };
}

/** Replace [start, end) with str and put the cursor after it (completion). */
export function replaceRange(s: EditorState, start: number, end: number, str: string): EditorState {
  return { text: s.text.slice(0, start) + str + s.text.slice(end), cursor: start + str.length };
}

export function backspace(s: EditorState): EditorState {
  if (s.cursor === 0) return s;
  // Remove a whole surrogate pair, never half of one.
  const n = isLowSurrogate(s.text.charCodeAt(s.cursor - 1)) && s.cursor >= 2 ? 2 : 1;
  return { text: s.text.slice(0, s.cursor - n) + s.text.slice(s.cursor), cursor: s.cursor - n };
}

export function deleteForward(s: EditorState): EditorState {
  if (s.cursor >= s.text.length) return s;
  const n = isHighSurrogate(s.text.charCodeAt(s.cursor)) ? 2 : 1;
  return { text: s.text.slice(0, s.cursor) + s.text.slice(s.cursor + n), cursor: s.cursor };
}

export function left(s: EditorState): EditorState {
  if (s.cursor === 0) return s;
  const n = isLowSurrogate(s.text.charCodeAt(s.cursor - 1)) && s.cursor >= 2 ? 2 : 1;
  return { ...s, cursor: s.cursor - n };
}

export function right(s: EditorState): EditorState {
  if (s.cursor >= s.text.length) return s;
  const n = isHighSurrogate(s.text.charCodeAt(s.cursor)) ? 2 : 1;
  return { ...s, cursor: s.cursor + n };
}

export function lineStart(s: EditorState): EditorState {
  return { ...s, cursor: s.text.lastIndexOf("\n", s.cursor - 1) + 1 };
}

export function lineEnd(s: EditorState): EditorState {
  const nl = s.text.indexOf("\n", s.cursor);
  return { ...s, cursor: nl === -1 ? s.text.length : nl };
}

/** Move up a line; undefined when already on the first line (the caller goes to history). */
export function up(s: EditorState): EditorState | undefined {
  const p = position(s);
  if (p.line === 0) return undefined;
  return { ...s, cursor: offsetOf(p.lines, p.line - 1, p.col) };
}

/** Move down a line; undefined when already on the last line. */
export function down(s: EditorState): EditorState | undefined {
  const p = position(s);
  if (p.line >= p.lines.length - 1) return undefined;
  return { ...s, cursor: offsetOf(p.lines, p.line + 1, p.col) };
}

/** Ctrl-U: delete from the start of the line to the cursor. */
export function killToLineStart(s: EditorState): EditorState {
  const start = lineStart(s).cursor;
  return { text: s.text.slice(0, start) + s.text.slice(s.cursor), cursor: start };
}

/** Ctrl-K: delete from the cursor to the end of the line. */
export function killToLineEnd(s: EditorState): EditorState {
  const end = lineEnd(s).cursor;
  const to = end === s.cursor && end < s.text.length ? end + 1 : end; // at end of line: join lines
  return { text: s.text.slice(0, s.cursor) + s.text.slice(to), cursor: s.cursor };
}

/** Ctrl-W: delete the word before the cursor. */
export function deleteWordBack(s: EditorState): EditorState {
  let i = s.cursor;
  while (i > 0 && /\s/.test(s.text[i - 1] ?? "")) i--;
  while (i > 0 && /[\w$]/.test(s.text[i - 1] ?? "")) i--;
  if (i === s.cursor && i > 0) i--;
  return { text: s.text.slice(0, i) + s.text.slice(s.cursor), cursor: i };
}

export function isOnFirstLine(s: EditorState): boolean {
  return s.text.lastIndexOf("\n", s.cursor - 1) === -1;
}

export function isOnLastLine(s: EditorState): boolean {
  return s.text.indexOf("\n", s.cursor) === -1;
}

/** The line the cursor is on, up to the cursor. */
export function textBeforeCursorOnLine(s: EditorState): string {
  return s.text.slice(lineStart(s).cursor, s.cursor);
}

/** Code points before a UTF-16 index (the session's completion offsets are code points). */
export function toCodePoints(text: string, index: number): number {
  return Array.from(text.slice(0, index)).length;
}

export function fromCodePoints(text: string, cp: number): number {
  let idx = 0;
  let n = 0;
  for (const ch of text) {
    if (n >= cp) break;
    idx += ch.length;
    n++;
  }
  return idx;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
