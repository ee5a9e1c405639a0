/**
 * `%explore [FLOW]`: a keyboard browser over flows -> runs -> steps -> tasks -> artifacts and logs.
 * arrows or j/k move, Enter/Right opens, Left/Backspace goes up, o opens a task's card, q/Esc leaves.
 */
import type React from "react";
import { useRef, useState } from "react";
import { Box, Text, useInput, useStdout, type Key } from "ink";
import chalk from "chalk";
import { inspect } from "node:util";
import type { ExplorerArtifact, ExplorerSource } from "./explorer-source.js";
import { formatBytes } from "./mime.js";
import { formatTable, isRecordArray, truncate } from "./table.js";

type Level =
  | { kind: "flows" }
  | { kind: "runs"; flow: string }
  | { kind: "steps"; flow: string; run: string }
  | { kind: "tasks"; flow: string; run: string; step: string }
  | { kind: "task"; flow: string; run: string; step: string; task: string }
  | { kind: "artifact"; flow: string; run: string; step: string; task: string; artifact: ExplorerArtifact }
  | { kind: "log"; flow: string; run: string; step: string; task: string; stream: "stdout" | "stderr" };

interface Frame {
  level: Level;
  selected: number;
}

interface Content {
  rows?: Row[];
  lines?: string[];
  error?: string;
}

interface Row {
  label: string;
  open?: () => Level | undefined;
}

export interface ExplorerProps {
  source: ExplorerSource;
  flow?: string;
  onExit: () => void;
  /** Lines available (defaults to the terminal's rows). */
  height?: number;
}

function when(ms: number | undefined): string {
  if (ms === undefined) return "";
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function duration(start: number | undefined, end: number | undefined): string {
  if (start === undefined || end === undefined) return "";
  const s = (end - start) / 1000;
  return s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${Math.round(s % 60)}s`;
}

function colourStatus(s: string): string {
  return s === "succeeded" ? chalk.green(s) : s === "failed" ? chalk.red(s) : s === "running" ? chalk.yellow(s) : s;
}

function title(level: Level): string {
  switch (level.kind) {
    case "flows":
      return "Flows";
    case "runs":
      return level.flow;
    case "steps":
      return `${level.flow}/${level.run}`;
    case "tasks":
      return `${level.flow}/${level.run}/${level.step}`;
    case "task":
      return `${level.flow}/${level.run}/${level.step}/${level.task}`;
    case "artifact":
      return `${level.flow}/${level.run}/${level.step}/${level.task} › ${level.artifact.name}`;
    case "log":
      return `${level.flow}/${level.run}/${level.step}/${level.task} › ${level.stream}`;
  }
}

function rowsOf(source: ExplorerSource, level: Level): Row[] {
  switch (level.kind) {
    case "flows":
      return source.flows().map((flow) => ({ label: flow, open: () => ({ kind: "runs", flow }) }));
    case "runs":
      return source.runs(level.flow).map((r) => ({
        label: `${r.id.padEnd(18)} ${colourStatus(r.status.padEnd(9))} ${when(r.createdAt).padEnd(19)} ${duration(r.createdAt, r.finishedAt).padStart(7)}  ${r.tags.join(",")}`,
        open: () => ({ kind: "steps", flow: level.flow, run: r.id }),
      }));
    case "steps":
      return source.steps(level.flow, level.run).map((s) => ({
        label: `${s.name.padEnd(20)} ${String(s.tasks).padStart(4)} task${s.tasks === 1 ? " " : "s"}  ${colourStatus(s.status)}`,
        open: () => ({ kind: "tasks", flow: level.flow, run: level.run, step: s.name }),
      }));
    case "tasks":
      return source.tasks(level.flow, level.run, level.step).map((t) => ({
        label: `${t.id.padEnd(6)} ${colourStatus(t.status.padEnd(9))} ${duration(t.startedAt, t.finishedAt).padStart(7)}  ${t.error ? chalk.red(t.error) : ""}`,
        open: () => ({ kind: "task", flow: level.flow, run: level.run, step: level.step, task: t.id }),
      }));
    case "task": {
      const { flow, run, step, task } = level;
      const logs = source.logs(flow, run, step, task);
      const lineCount = (s: string) => (s === "" ? 0 : s.replace(/\n$/, "").split("\n").length);
      const artifacts: Row[] = source.artifacts(flow, run, step, task).map((a) => ({
        label: `${a.name.padEnd(24)} ${chalk.cyan(a.type.padEnd(14))} ${formatBytes(a.size).padStart(9)}`,
        open: () => ({ kind: "artifact", flow, run, step, task, artifact: a }),
      }));
      const streams: Row[] = (["stdout", "stderr"] as const).map((stream) => ({
        label: chalk.dim(`[${stream}] ${lineCount(logs[stream])} lines`),
        open: () => ({ kind: "log", flow, run, step, task, stream }),
      }));
      return [...artifacts, ...streams];
    }
    default:
      return [];
  }
}

/** The lines of a detail view: an artifact's value, or a task's log. */
function detailLines(source: ExplorerSource, level: Level, width: number): string[] {
  if (level.kind === "log") {
    const text = source.logs(level.flow, level.run, level.step, level.task)[level.stream];
    return text === "" ? [chalk.dim("(empty)")] : text.replace(/\n$/, "").split("\n");
  }
  if (level.kind !== "artifact") return [];
  const a = level.artifact;
  const head = `${chalk.bold(a.name)}  ${chalk.cyan(a.type)}  ${formatBytes(a.size)}  ${chalk.dim(`sha ${a.sha.slice(0, 12)}`)}`;
  let value: unknown;
  try {
    value = a.load();
  } catch (e) {
    return [head, chalk.red(`cannot load: ${e instanceof Error ? e.message : String(e)}`)];
  }
  const body = isRecordArray(value)
    ? formatTable(value, { maxRows: 200, maxWidth: width })
    : inspect(value, { depth: 4, colors: chalk.level > 0, maxArrayLength: 200, maxStringLength: 10_000, breakLength: width }).split("\n");
  return [head, "", ...body];
}

export function Explorer({ source, flow, onExit, height }: ExplorerProps): React.JSX.Element {
  const { stdout } = useStdout();
  const width = Math.max(40, (stdout.columns ?? 100) - 2);
  const rows = height ?? Math.max(10, (stdout.rows ?? 24) - 4);
  const listHeight = Math.max(3, rows - 4);
  // Navigation lives in a ref: several keys can arrive before React re-renders, and each must
  // act on where the previous one left the user, not on the last rendered frame.
  const stackRef = useRef<Frame[] | undefined>(undefined);
  if (!stackRef.current) {
    const root: Frame = { level: { kind: "flows" }, selected: 0 };
    const index = flow ? safe(() => source.flows().indexOf(flow), -1) : -1;
    stackRef.current = flow
      ? [
          { ...root, selected: Math.max(0, index) },
          { level: { kind: "runs", flow }, selected: 0 },
        ]
      : [root];
  }
  const cache = useRef(new WeakMap<Level, Content>());
  const notice = useRef<string | undefined>(undefined);
  const [, setTick] = useState(0);
  const rerender = () => setTick((t) => t + 1);

  const contentOf = (level: Level): Content => {
    const hit = cache.current.get(level);
    if (hit) return hit;
    let c: Content;
    try {
      c =
        level.kind === "artifact" || level.kind === "log" ? { lines: detailLines(source, level, width) } : { rows: rowsOf(source, level) };
    } catch (e) {
      c = { error: e instanceof Error ? e.message : String(e) };
    }
    cache.current.set(level, c);
    return c;
  };
  const top = (): Frame => {
    const stack = stackRef.current ?? [];
    return stack[stack.length - 1] ?? { level: { kind: "flows" }, selected: 0 };
  };

  const move = (delta: number) => {
    const f = top();
    const c = contentOf(f.level);
    const max = c.lines ? Math.max(0, c.lines.length - listHeight) : Math.max(0, (c.rows?.length ?? 0) - 1);
    f.selected = Math.max(0, Math.min(max, f.selected + delta));
  };
  const open = () => {
    const f = top();
    const next = contentOf(f.level).rows?.[f.selected]?.open?.();
    if (next) stackRef.current = [...(stackRef.current ?? []), { level: next, selected: 0 }];
  };
  const back = () => {
    const stack = stackRef.current ?? [];
    if (stack.length > 1) stackRef.current = stack.slice(0, -1);
  };

  /** `o`: the card of the task shown (or selected in a step's task list). */
  const card = () => {
    const { level, selected } = top();
    const taskId =
      level.kind === "tasks" ? source.tasks(level.flow, level.run, level.step)[selected]?.id : "task" in level ? level.task : undefined;
    if (!("step" in level) || taskId === undefined || !source.card) return;
    notice.current = safe(() => source.card!(level.flow, level.run, level.step, taskId), "the card could not be written");
  };

  const handle = (input: string, key: Partial<Key>): boolean => {
    notice.current = undefined;
    if (input === "q" || key.escape || (key.ctrl && input === "c")) {
      onExit();
      return false;
    }
    if (input === "o") card();
    if (key.upArrow || input === "k") move(-1);
    else if (key.downArrow || input === "j") move(1);
    else if (key.pageUp) move(-listHeight);
    else if (key.pageDown || input === " ") move(listHeight);
    else if (input === "g" || key.home) move(-Infinity);
    else if (input === "G" || key.end) move(Infinity);
    else if (key.return || key.rightArrow || input === "l") open();
    else if (key.leftArrow || key.backspace || key.delete || input === "h") back();
    return true;
  };

  useInput((input, key) => {
    // Keys typed ahead (or sent by a script) can arrive as one chunk: take them one by one.
    if (input.length > 1 && !key.ctrl && !key.meta) {
      for (const ch of input) if (!handle(ch === "\r" ? "" : ch, ch === "\r" ? { return: true } : {})) return;
    } else if (!handle(input, key)) return;
    rerender();
  });

  const stack = stackRef.current;
  const frame = top();
  const content = contentOf(frame.level);
  const isDetail = content.lines !== undefined;
  const error = content.error;
  const crumbs = stack.map((f) => title(f.level));
  const header = `${chalk.bold("steplab explorer")}  ${chalk.cyan(crumbs[crumbs.length - 1] ?? "")}`;
  let lines: string[];
  if (content.lines) {
    const all = content.lines;
    lines = all.slice(frame.selected, frame.selected + listHeight).map((l) => truncate(l, width + (l.length - stripAnsi(l).length)));
    if (all.length > listHeight)
      lines.push(chalk.dim(`lines ${frame.selected + 1}-${Math.min(all.length, frame.selected + listHeight)} of ${all.length}`));
  } else {
    const all = content.rows ?? [];
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
      {error ? <Text color="red">{error}</Text> : <Text>{lines.join("\n")}</Text>}
      {notice.current ? <Text color="green">{notice.current}</Text> : null}
      <Text dimColor>
        {isDetail
          ? "↑↓/jk scroll · ←/Backspace back · o card · q/Esc leave"
          : "↑↓/jk move · Enter/→ open · ←/Backspace back · o card · q/Esc leave"}
      </Text>
    </Box>
  );
}

function emptyMessage(level: Level): string {
  switch (level.kind) {
    case "flows":
      return "(no flows in this store yet)";
    case "runs":
      return `(no runs of ${level.flow})`;
    default:
      return "(empty)";
  }
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, "");
}
