/**
 * The terminal REPL: a thin front end over a NotebookSession. It edits cells, sends them to the
 * session, and shows what comes back; cell semantics (steps, artifacts, magics other than the
 * REPL's own) all live in the session. The REPL's own logic is the pure model in repl/model;
 * `useRepl` connects it to the terminal and the session; the components here only draw it.
 */
import type React from "react";
import { Box, useStdout } from "ink";
import type { NotebookSession } from "../runtime/session/index.js";
import { Explorer } from "./explorer.js";
import type { ExplorerSource } from "./explorer-source.js";
import type { NotebookCell } from "./model/index.js";
import { PromptArea } from "./prompt-area.js";
import { Transcript } from "./transcript.js";
import { useRepl } from "./use-repl.js";

export interface ReplAppProps {
  session: NotebookSession;
  /** Cells of a notebook opened with `steplab repl NB.ipynb`: listed, not run (`%run N`, `%runall`). */
  initialCells?: NotebookCell[];
  /** The opened notebook's path: the default target of `%save`. */
  notebookPath?: string;
  /** What `%explore` browses; without it `%explore` says it is unavailable. */
  explorer?: ExplorerSource;
  /** Directory `%save` paths are relative to (default: process.cwd()). */
  cwd?: string;
  /** Called once when the user quits (before Ink exits). */
  onExit?: () => void;
}

export function ReplApp(props: ReplAppProps): React.JSX.Element {
  const { session, explorer } = props;
  const { state, dispatch } = useRepl({
    session,
    initialCells: props.initialCells,
    notebookPath: props.notebookPath,
    canExplore: explorer !== undefined,
    cwd: props.cwd,
    onExit: props.onExit,
  });
  const { stdout } = useStdout();
  const width = stdout.columns ?? 100;
  // Once quit, only the transcript is drawn: the terminal keeps it, not a dead prompt.
  if (state.exited) return <Transcript items={state.transcript} width={width} />;
  return (
    <Box flexDirection="column">
      <Transcript items={state.transcript} width={width} />
      {state.exploring && explorer ? (
        <Explorer
          source={explorer}
          {...(state.exploring.flow ? { flow: state.exploring.flow } : {})}
          onExit={() => dispatch({ type: "explorer-closed" })}
        />
      ) : (
        <PromptArea state={state} session={session} width={width} />
      )}
    </Box>
  );
}
