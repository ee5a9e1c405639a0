/**
 * The running cell under the prompt: its unfinished output lines, a spinner with elapsed time, and
 * the progress of steps or runFlow runs. It ticks on its own clock while it is shown.
 */
import type React from "react";
import { Box, Text } from "ink";
import chalk from "chalk";
import type { LiveCell } from "./model/index.js";
import { useTicker } from "./use-ticker.js";

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const FRAME_MS = 100;

function elapsed(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  return s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
}

function bar(done: number, total: number, width = 20): string {
  const f = total > 0 ? Math.min(1, done / total) : 0;
  const n = Math.round(f * width);
  return chalk.green("█".repeat(n)) + chalk.dim("░".repeat(width - n));
}

export function LiveView({ live }: { live: LiveCell }): React.JSX.Element {
  const frame = useTicker(FRAME_MS, true);
  const now = Date.now();
  const spin = chalk.cyan(SPINNER[frame % SPINNER.length] ?? "");
  const lines: string[] = [];
  for (const p of live.progress.values()) {
    if (p.finished) continue;
    lines.push(`${spin} ${p.label} ${bar(p.done, p.total)} ${p.done}/${p.total} ${chalk.dim(elapsed(now - p.startedAt))}`);
  }
  const head = live.interrupting
    ? chalk.yellow(`${spin} interrupting cell [${live.count}]…`)
    : `${spin} running cell [${live.count}] ${chalk.dim(elapsed(now - live.startedAt))} ${chalk.dim("· Ctrl-C interrupts")}`;
  return (
    <Box flexDirection="column">
      {live.partial.stdout ? <Text>{live.partial.stdout}</Text> : null}
      {live.partial.stderr ? <Text color="red">{live.partial.stderr}</Text> : null}
      {lines.length ? <Text>{lines.join("\n")}</Text> : null}
      <Text>{head}</Text>
    </Box>
  );
}
