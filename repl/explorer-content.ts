/**
 * What each level of `%explore` shows, read from an ExplorerSource: rows for flows, runs, steps,
 * tasks and a task's artifacts and logs; lines for an artifact's value or a log.
 */
import chalk from "chalk";
import { inspect } from "node:util";
import { runPathspec, taskPathspec } from "../store/index.js";
import type { Content, Level, Row } from "./explorer-model.js";
import type { ExplorerSource } from "./explorer-source.js";
import { formatBytes } from "./mime.js";
import { formatTable, isRecordArray } from "./table.js";

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

const taskOf = (l: { flow: string; run: string; step: string; task: string }) =>
  taskPathspec({ flow: l.flow, runId: l.run, step: l.step, taskId: l.task });

/** The level's pathspec, as the header shows it. */
export function title(level: Level): string {
  switch (level.kind) {
    case "flows":
      return "Flows";
    case "runs":
      return level.flow;
    case "steps":
      return runPathspec({ flow: level.flow, runId: level.run });
    case "tasks":
      return `${runPathspec({ flow: level.flow, runId: level.run })}/${level.step}`;
    case "task":
      return taskOf(level);
    case "artifact":
      return `${taskOf(level)} › ${level.artifact.name}`;
    case "log":
      return `${taskOf(level)} › ${level.stream}`;
  }
}

export function emptyMessage(level: Level): string {
  switch (level.kind) {
    case "flows":
      return "(no flows in this store yet)";
    case "runs":
      return `(no runs of ${level.flow})`;
    default:
      return "(empty)";
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

/** Each level's content, read once: moving back and forth does not re-read the store. */
export function contentReader(source: ExplorerSource, width: number): (level: Level) => Content {
  const cache = new WeakMap<Level, Content>();
  return (level) => {
    const hit = cache.get(level);
    if (hit) return hit;
    let c: Content;
    try {
      c =
        level.kind === "artifact" || level.kind === "log" ? { lines: detailLines(source, level, width) } : { rows: rowsOf(source, level) };
    } catch (e) {
      c = { error: e instanceof Error ? e.message : String(e) };
    }
    cache.set(level, c);
    return c;
  };
}
