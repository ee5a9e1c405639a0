/**
 * The bottom of the screen: the live view of a running cell (spinner, elapsed time, progress of
 * steps or runFlow runs) and the status line (flow, run, current step, stale steps).
 */
import type React from "react";
import { Box, Text } from "ink";
import chalk from "chalk";
import type { Progress, SessionState } from "../runtime/session/index.js";

export const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export function elapsed(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  return s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
}

function bar(done: number, total: number, width = 20): string {
  const f = total > 0 ? Math.min(1, done / total) : 0;
  const n = Math.round(f * width);
  return chalk.green("█".repeat(n)) + chalk.dim("░".repeat(width - n));
}

export function statusText(state: SessionState | undefined): string {
  if (!state) return chalk.dim("steplab");
  const parts = [`flow ${chalk.bold(state.flow)}`, `run ${state.runId ?? chalk.dim("none yet")}`];
  if (state.currentStep) parts.push(`step ${chalk.cyan(state.currentStep)}`);
  parts.push(state.stale.length ? chalk.yellow(`stale: ${state.stale.join(", ")}`) : chalk.dim("no stale steps"));
  return parts.join(chalk.dim(" │ "));
}

export interface LiveState {
  count: number;
  startedAt: number;
  partial: { stdout: string; stderr: string };
  progress: Map<string, Progress>;
  interrupting: boolean;
}

export function LiveView({ live, frame, now }: { live: LiveState; frame: number; now: number }): React.JSX.Element {
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

export function StatusLine({ state, notice }: { state: SessionState | undefined; notice?: string | undefined }): React.JSX.Element {
  return (
    <Box flexDirection="column">
      {notice ? <Text color="yellow">{notice}</Text> : null}
      <Text>{chalk.dim("── ") + statusText(state)}</Text>
    </Box>
  );
}
