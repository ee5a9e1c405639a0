/**
 * The prompt as seen: `In [n]:` / `...:` gutters, syntax colours, a block cursor, and below it the
 * completion candidates or the reverse-search line.
 */
import type React from "react";
import { Box, Text } from "ink";
import chalk from "chalk";
import type { EditorState } from "./model/index.js";
import { kindsByOffset, paint, type TokenKind } from "./highlight.js";

export interface CompletionView {
  matches: string[];
  selected: number; // -1: none selected yet
}

export interface SearchView {
  query: string;
  failed: boolean;
}

export interface EditorProps {
  state: EditorState;
  count: number;
  completion?: CompletionView | undefined;
  search?: SearchView | undefined;
  width: number;
  /** Dim the prompt while a cell runs (typing ahead still works). */
  busy?: boolean;
}

export function promptLabel(count: number): string {
  return `In [${count}]: `;
}

export function continuationLabel(count: number): string {
  const w = promptLabel(count).length;
  return `${" ".repeat(Math.max(0, w - 5))}...: `;
}

/** The buffer's lines, coloured, with the cursor drawn as an inverse cell. */
export function renderBuffer(state: EditorState, showCursor = true): string[] {
  const { text, cursor } = state;
  const kinds = kindsByOffset(text);
  const lines: string[] = [];
  let line = "";
  let run = "";
  let runKind: TokenKind = "plain";
  const flush = () => {
    if (run) line += paint[runKind](run);
    run = "";
  };
  const cursorCell = (ch: string) => {
    flush();
    // chalk.inverse is invisible without colour support; fall back to an underscore-free marker.
    line += chalk.level > 0 ? chalk.inverse(ch) : ch;
  };
  for (let i = 0; i <= text.length; i++) {
    const ch = text[i];
    const atCursor = showCursor && i === cursor;
    if (ch === undefined || ch === "\n") {
      if (atCursor) cursorCell(" ");
      flush();
      lines.push(line);
      line = "";
      continue;
    }
    if (atCursor) {
      cursorCell(ch);
      continue;
    }
    const kind = kinds[i] ?? "plain";
    if (kind !== runKind) {
      flush();
      runKind = kind;
    }
    run += ch;
  }
  return lines;
}

function completionGrid(c: CompletionView, width: number): string {
  const shown = c.matches.slice(0, 60);
  const colWidth = Math.min(40, Math.max(...shown.map((m) => m.length)) + 2);
  const perRow = Math.max(1, Math.floor(width / colWidth));
  const rows: string[] = [];
  for (let i = 0; i < shown.length; i += perRow) {
    rows.push(
      shown
        .slice(i, i + perRow)
        .map((m, j) => {
          const cell = (m.length > colWidth - 2 ? `${m.slice(0, colWidth - 3)}…` : m).padEnd(colWidth - 1);
          return i + j === c.selected ? chalk.inverse(cell) : chalk.cyan(cell);
        })
        .join(" "),
    );
  }
  if (c.matches.length > shown.length) rows.push(chalk.dim(`… ${c.matches.length - shown.length} more`));
  return rows.join("\n");
}

export function EditorView({ state, count, completion, search, width, busy }: EditorProps): React.JSX.Element {
  const lines = renderBuffer(state);
  const first = promptLabel(count);
  const cont = continuationLabel(count);
  const gutter = (i: number) => (i === 0 ? (busy ? chalk.dim(first) : chalk.green(first)) : chalk.dim(cont));
  return (
    <Box flexDirection="column">
      <Text>{lines.map((l, i) => gutter(i) + l).join("\n")}</Text>
      {completion && completion.matches.length > 1 ? <Text>{completionGrid(completion, width)}</Text> : null}
      {search ? (
        <Text>
          {chalk.dim(search.failed ? "(failing reverse-i-search)" : "(reverse-i-search)")}`{search.query}`
          {chalk.dim(": Enter accepts, Esc cancels")}
        </Text>
      ) : null}
    </Box>
  );
}
