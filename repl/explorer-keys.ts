/**
 * The explorer's keys: one binding per line, each a command and the help it shows. A new key is a
 * binding here; if it acts outside the browser (like "leave"), the Explorer component hands it to
 * a callback prop or the source.
 */
import type { Key } from "ink";
import type { ExplorerCommand } from "./explorer-model.js";

interface Binding {
  command: ExplorerCommand;
  matches(input: string, key: Partial<Key>): boolean;
}

const BINDINGS: Binding[] = [
  { command: { type: "leave" }, matches: (i, k) => i === "q" || !!k.escape || (!!k.ctrl && i === "c") },
  { command: { type: "move", rows: -1 }, matches: (i, k) => !!k.upArrow || i === "k" },
  { command: { type: "move", rows: 1 }, matches: (i, k) => !!k.downArrow || i === "j" },
  { command: { type: "page", pages: -1 }, matches: (_, k) => !!k.pageUp },
  { command: { type: "page", pages: 1 }, matches: (i, k) => !!k.pageDown || i === " " },
  { command: { type: "move", rows: -Infinity }, matches: (i, k) => i === "g" || !!k.home },
  { command: { type: "move", rows: Infinity }, matches: (i, k) => i === "G" || !!k.end },
  { command: { type: "open" }, matches: (i, k) => !!k.return || !!k.rightArrow || i === "l" },
  { command: { type: "card" }, matches: (i) => i === "o" },
  { command: { type: "back" }, matches: (i, k) => !!k.leftArrow || !!k.backspace || !!k.delete || i === "h" },
];

export const LIST_HELP = "↑↓/jk move · Enter/→ open · ←/Backspace back · o card · q/Esc leave";
export const DETAIL_HELP = "↑↓/jk scroll · ←/Backspace back · o card · q/Esc leave";

export function explorerCommand(input: string, key: Partial<Key>): ExplorerCommand | undefined {
  return BINDINGS.find((b) => b.matches(input, key))?.command;
}

/**
 * The keys of one input event. Keys typed ahead (or sent by a script) arrive as one chunk: they
 * are taken one by one, a CR as Enter.
 */
export function keysOf(input: string, key: Key): [string, Partial<Key>][] {
  if (input.length > 1 && !key.ctrl && !key.meta) return [...input].map((ch) => (ch === "\r" ? ["", { return: true }] : [ch, {}]));
  return [[input, key]];
}
