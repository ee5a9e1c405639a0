/** Below the transcript: the running cell's live output, the prompt, and the status line. */
import type React from "react";
import { Box } from "ink";
import type { NotebookSession } from "../runtime/session/index.js";
import { EditorView } from "./editor.js";
import { LiveView } from "./live-view.js";
import { isBusy, type ReplState } from "./model/index.js";
import { OutputView } from "./output.js";
import { StatusLine } from "./status-line.js";

export interface PromptAreaProps {
  state: ReplState;
  session: NotebookSession;
  width: number;
}

export function PromptArea({ state, session, width }: PromptAreaProps): React.JSX.Element {
  const busy = isBusy(state);
  return (
    <Box flexDirection="column">
      {[...state.liveDisplays.entries()].map(([key, data]) => (
        <OutputView key={`live-${key}`} item={{ id: -1, kind: "display", data }} width={width} />
      ))}
      {state.live ? <LiveView live={state.live} /> : null}
      <Box marginTop={state.live ? 0 : 1}>
        <EditorView
          state={state.buf}
          count={state.execCount + 1}
          completion={state.completion}
          search={state.search ? { query: state.search.query, failed: state.search.failed } : undefined}
          width={width}
          busy={busy}
        />
      </Box>
      <StatusLine session={session} busy={busy} notice={state.notice} />
    </Box>
  );
}
