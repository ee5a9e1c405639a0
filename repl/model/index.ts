/** repl/model: the REPL as a pure model — state, actions, one reducer, effects. No Ink, no session. */
export { reduce } from "./reduce.js";
export {
  initialState,
  isBusy,
  type Completion,
  type Job,
  type LiveCell,
  type NewOutputItem,
  type NotebookCell,
  type OutputItem,
  type ReplConfig,
  type ReplState,
  type Search,
} from "./state.js";
export type { Effect, KeyAction, ReplAction, ReplEnv, SinkEvent, Update } from "./actions.js";
export { INTERRUPTED } from "./output.js";
export { QUEUED_NOTICE } from "./run-queue.js";
export { isReplMagic, parseReplMagic, type ReplMagic } from "./magics.js";
export type { EditorState } from "./editor-state.js";
