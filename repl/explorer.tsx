/**
 * `%explore [FLOW]`: a keyboard browser over flows -> runs -> steps -> tasks -> artifacts and logs.
 * arrows or j/k move, Enter/Right opens, Left/Backspace goes up, o writes (and opens) a task's card,
 * q/Esc leaves. Where the user is lives in explorer-model.ts, what each level shows in
 * explorer-content.ts, the keys in explorer-keys.ts; this component draws one screen of it.
 */
import type React from "react";
import { useMemo, useRef, useState } from "react";
import { Box, Text, useInput, useStdout } from "ink";
import chalk from "chalk";
import { stripVTControlCharacters } from "node:util";
import { contentReader, emptyMessage, title } from "./explorer-content.js";
import { DETAIL_HELP, explorerCommand, keysOf, LIST_HELP } from "./explorer-keys.js";
import { cardTask, type Frame, initialStack, navigate, top } from "./explorer-model.js";
import type { ExplorerSource } from "./explorer-source.js";
import { truncate } from "./table.js";

export interface ExplorerProps {
  source: ExplorerSource;
  flow?: string;
  onExit: () => void;
  /** Lines available (defaults to the terminal's rows). */
  height?: number;
}

export function Explorer({ source, flow, onExit, height }: ExplorerProps): React.JSX.Element {
  const { stdout } = useStdout();
  const width = Math.max(40, (stdout.columns ?? 100) - 2);
  const rows = height ?? Math.max(10, (stdout.rows ?? 24) - 4);
  const listHeight = Math.max(3, rows - 4);
  const content = useMemo(() => contentReader(source, width), [source, width]);
  // Several keys can arrive before a render: each command applies to where the previous one left,
  // so the latest stack is kept beside the rendered one.
  const [stack, setStack] = useState<readonly Frame[]>(() => initialStack(() => source.flows(), flow));
  const latest = useRef(stack);
  const [notice, setNotice] = useState<string>();

  /** `o`: the card of the task shown, or selected in a step's task list. */
  const writeCard = (at: readonly Frame[]) => {
    const task = cardTask(at, (f, r, s) => source.tasks(f, r, s).map((t) => t.id));
    if (!task || !source.card) return;
    try {
      setNotice(source.card(task.flow, task.run, task.step, task.task));
    } catch (e) {
      setNotice(`The card could not be written: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  useInput((input, key) => {
    setNotice(undefined);
    for (const [i, k] of keysOf(input, key)) {
      const cmd = explorerCommand(i, k);
      if (cmd?.type === "leave") return onExit();
      if (cmd?.type === "card") writeCard(latest.current);
      else if (cmd) latest.current = navigate(latest.current, cmd, { content, listHeight });
    }
    setStack(latest.current);
  });

  const frame = top(stack);
  const shown = content(frame.level);
  const crumbs = stack.map((f) => title(f.level));
  const header = `${chalk.bold("steplab explorer")}  ${chalk.cyan(crumbs[crumbs.length - 1] ?? "")}`;
  let lines: string[];
  if (shown.lines) {
    const all = shown.lines;
    lines = all
      .slice(frame.selected, frame.selected + listHeight)
      .map((l) => truncate(l, width + (l.length - stripVTControlCharacters(l).length)));
    if (all.length > listHeight)
      lines.push(chalk.dim(`lines ${frame.selected + 1}-${Math.min(all.length, frame.selected + listHeight)} of ${all.length}`));
  } else {
    const all = shown.rows ?? [];
    const start = Math.max(0, Math.min(frame.selected - Math.floor(listHeight / 2), all.length - listHeight));
    lines = all
      .slice(start, start + listHeight)
      .map((r, i) => (start + i === frame.selected ? chalk.inverse(`› ${r.label}`) : `  ${r.label}`));
    if (all.length === 0) lines = [chalk.dim(emptyMessage(frame.level))];
    if (all.length > listHeight) lines.push(chalk.dim(`${frame.selected + 1}/${all.length}`));
  }
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1}>
      <Text>{header}</Text>
      {shown.error ? <Text color="red">{shown.error}</Text> : <Text>{lines.join("\n")}</Text>}
      {notice ? <Text color="green">{notice}</Text> : null}
      <Text dimColor>{shown.lines !== undefined ? DETAIL_HELP : LIST_HELP}</Text>
    </Box>
  );
}
