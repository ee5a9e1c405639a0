/** Keys that edit the prompt or move in it; Up/Down leave the first/last line for the history. */
import type { KeyAction } from "./actions.js";
import * as ed from "./editor-state.js";
import { newer, older } from "./history-cursor.js";
import type { ReplState } from "./state.js";

type EditKey = Extract<
  KeyAction,
  {
    type:
      | "insert"
      | "newline"
      | "backspace"
      | "delete-forward"
      | "left"
      | "right"
      | "home"
      | "end"
      | "up"
      | "down"
      | "kill-line-start"
      | "kill-line-end"
      | "delete-word";
  }
>;

const lineIndent = (buf: ed.EditorState) => /^[ \t]*/.exec(ed.textBeforeCursorOnLine(buf))?.[0] ?? "";

/** Typed text; a closing bracket typed on an indent-only line steps back one level, as editors do. */
export function insertText(buf: ed.EditorState, text: string): ed.EditorState {
  const before = ed.textBeforeCursorOnLine(buf);
  const dedent = /^[}\])]$/.test(text) && /^ {2,}$/.test(before);
  return ed.insert(dedent ? ed.editorOf(buf.text.slice(0, buf.cursor - 2) + buf.text.slice(buf.cursor), buf.cursor - 2) : buf, text);
}

function historyStep(s: ReplState, dir: "up" | "down"): ReplState {
  const moved = dir === "up" ? ed.up(s.buf) : ed.down(s.buf);
  if (moved) return { ...s, buf: moved };
  const h = (dir === "up" ? older : newer)(s.history, s.hist, s.buf.text);
  return h ? { ...s, hist: h.cursor, buf: ed.editorOf(h.text) } : s;
}

export function isEditKey(key: KeyAction): key is EditKey {
  return EDITS.has(key.type);
}

const EDITS = new Set<KeyAction["type"]>([
  "insert",
  "newline",
  "backspace",
  "delete-forward",
  "left",
  "right",
  "home",
  "end",
  "up",
  "down",
  "kill-line-start",
  "kill-line-end",
  "delete-word",
]);

export function edit(s: ReplState, key: EditKey): ReplState {
  const buf = s.buf;
  switch (key.type) {
    case "insert":
      return { ...s, buf: insertText(buf, key.text) };
    case "newline":
      return { ...s, buf: ed.insert(buf, `\n${lineIndent(buf)}`) };
    case "backspace":
      return { ...s, buf: ed.backspace(buf) };
    case "delete-forward":
      return { ...s, buf: ed.deleteForward(buf) };
    case "left":
      return { ...s, buf: ed.left(buf) };
    case "right":
      return { ...s, buf: ed.right(buf) };
    case "home":
      return { ...s, buf: ed.lineStart(buf) };
    case "end":
      return { ...s, buf: ed.lineEnd(buf) };
    case "up":
    case "down":
      return historyStep(s, key.type);
    case "kill-line-start":
      return { ...s, buf: ed.killToLineStart(buf) };
    case "kill-line-end":
      return { ...s, buf: ed.killToLineEnd(buf) };
    case "delete-word":
      return { ...s, buf: ed.deleteWordBack(buf) };
  }
}
