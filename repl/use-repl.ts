/**
 * The hook that connects the REPL model to the terminal and the session: keys from Ink go to the
 * reducer as actions, the controller runs the effects against the NotebookSession, and the
 * component re-renders when the state changes (useSyncExternalStore), never on a timer of its own.
 */
import { useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { useApp, useInput } from "ink";
import type { NotebookSession } from "../runtime/session/index.js";
import { ReplController } from "./controller.js";
import { KeyDecoder } from "./keys.js";
import type { NotebookCell, ReplAction, ReplState } from "./model/index.js";

export interface UseReplOptions {
  session: NotebookSession;
  initialCells?: readonly NotebookCell[] | undefined;
  notebookPath?: string | undefined;
  canExplore: boolean;
  cwd?: string | undefined;
  onExit?: (() => void) | undefined;
}

/** How many earlier inputs Up/Down and Ctrl-R reach. */
const HISTORY_LIMIT = 1000;

function earlierInputs(session: NotebookSession): string[] {
  try {
    return session.history.list(HISTORY_LIMIT).map((e) => e.source);
  } catch {
    return []; // a history that cannot be read leaves the prompt without one, not the REPL broken
  }
}

export function useRepl(opts: UseReplOptions): { state: ReplState; dispatch: (a: ReplAction) => void } {
  const { exit } = useApp();
  const [controller] = useState(
    () =>
      new ReplController({
        session: opts.session,
        config: {
          ...(opts.initialCells ? { cells: opts.initialCells } : {}),
          ...(opts.notebookPath !== undefined ? { notebookPath: opts.notebookPath } : {}),
          canExplore: opts.canExplore,
          history: earlierInputs(opts.session),
        },
        cwd: opts.cwd ?? process.cwd(),
        onQuit: () => {
          opts.onExit?.();
          // Ink renders once more without the prompt, so the terminal keeps the transcript, not a dead prompt.
          setTimeout(() => exit(), 0);
        },
      }),
  );
  useEffect(() => () => controller.dispose(), [controller]);
  const state = useSyncExternalStore(controller.subscribe, controller.getState);

  // Bracketed paste spans several input events: the decoder keeps that state between them.
  const decoder = useMemo(() => new KeyDecoder(), []);
  useInput(
    (input, key) => {
      for (const k of decoder.decode(input, key)) controller.dispatch({ type: "key", key: k });
    },
    {
      isActive: state.exploring === undefined,
    },
  );
  return { state, dispatch: controller.dispatch };
}
