/**
 * What can happen to the REPL (actions), what the REPL asks the outside world to do (effects), and
 * what `reduce` may ask the session synchronously while it decides (the environment).
 */
import type { CompletionResult, ExecuteOutcome, IsCompleteResult, MimeBundle, Progress } from "../../runtime/session/index.js";
import type { NewOutputItem, ReplState } from "./state.js";

/** An editing key, as repl/keys.ts decodes it from the terminal. */
export type KeyAction =
  | { type: "insert"; text: string }
  /** Typed-ahead text followed by Enter (e.g. a terminal delivering "1+1\r" in one read). */
  | { type: "insert-submit"; text: string }
  | { type: "submit" }
  | { type: "newline" }
  | { type: "backspace" }
  | { type: "delete-forward" }
  | { type: "left" }
  | { type: "right" }
  | { type: "up" }
  | { type: "down" }
  | { type: "home" }
  | { type: "end" }
  | { type: "tab" }
  | { type: "interrupt" } // Ctrl-C
  | { type: "eof" } // Ctrl-D
  | { type: "search" } // Ctrl-R
  | { type: "cancel" } // Esc, Ctrl-G
  | { type: "kill-line-start" }
  | { type: "kill-line-end" }
  | { type: "delete-word" }
  | { type: "none" };

/** What a running cell sends through its CellSink. */
export type SinkEvent =
  | { type: "stream"; name: "stdout" | "stderr"; text: string }
  | { type: "display"; data: MimeBundle; displayId?: string; update?: boolean }
  | { type: "clear" }
  | { type: "progress"; progress: Progress };

export type ReplAction =
  | { type: "key"; key: KeyAction }
  /** A batch of a cell's output (the hook batches them: a chatty cell must not re-render per line). */
  | { type: "output"; events: readonly SinkEvent[] }
  /** The running cell ended. */
  | { type: "finished"; outcome: ExecuteOutcome }
  /** A line the hook prints (what `%save` did). */
  | { type: "print"; item: NewOutputItem }
  | { type: "explorer-closed" };

export type Effect =
  | { type: "execute"; code: string; count: number; tags: string[]; cellId?: string }
  | { type: "interrupt" }
  /** Add an input the REPL answered itself (its magics) to the session's history. */
  | { type: "record-history"; source: string; line: number }
  | { type: "save"; target: string }
  | { type: "quit" };

/** What `reduce` may ask while deciding: the time, and the session's language queries. */
export interface ReplEnv {
  now: number;
  isComplete(code: string): IsCompleteResult;
  complete(code: string, cursor: number): CompletionResult;
}

export interface Update {
  state: ReplState;
  effects: Effect[];
}
