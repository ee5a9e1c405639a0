/**
 * The bottom line: a notice (queued cell, how to quit), then the session's flow, run, current step,
 * stale steps, a task opened with %load and whether task reuse is off. The session changes its
 * state while a cell runs, so the line re-reads it on a clock while busy.
 */
import type React from "react";
import { Box, Text } from "ink";
import chalk from "chalk";
import type { NotebookSession, SessionState } from "../runtime/session/index.js";
import { useTicker } from "./use-ticker.js";

const REFRESH_MS = 250;

function statusText(state: SessionState | undefined): string {
  if (!state) return chalk.dim("steplab");
  const parts = [`flow ${chalk.bold(state.flow)}`, `run ${state.runId ?? chalk.dim("none yet")}`];
  if (state.currentStep) parts.push(`step ${chalk.cyan(state.currentStep)}`);
  parts.push(state.stale.length ? chalk.yellow(`stale: ${state.stale.join(", ")}`) : chalk.dim("no stale steps"));
  // Both change what the next cell does: a loaded task makes undirected cells scratch.
  if (state.loaded) parts.push(chalk.magenta(`loaded ${state.loaded} (%load off)`));
  if (state.cacheOff) parts.push(chalk.dim("cache off"));
  return parts.join(chalk.dim(" │ "));
}

function readState(session: NotebookSession): SessionState | undefined {
  try {
    return session.state;
  } catch {
    return undefined;
  }
}

export interface StatusLineProps {
  session: NotebookSession;
  busy: boolean;
  notice?: string | undefined;
}

export function StatusLine({ session, busy, notice }: StatusLineProps): React.JSX.Element {
  useTicker(REFRESH_MS, busy);
  return (
    <Box flexDirection="column">
      {notice ? <Text color="yellow">{notice}</Text> : null}
      <Text>{chalk.dim("── ") + statusText(readState(session))}</Text>
    </Box>
  );
}
