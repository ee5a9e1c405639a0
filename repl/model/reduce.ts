/**
 * The REPL's one reducer: (state, action, env) -> (state, effects). Pure: the session is reached
 * only through env's synchronous language queries and the effects the hook carries out.
 */
import type { KeyAction, ReplAction, ReplEnv, Update } from "./actions.js";
import { tab } from "./completion.js";
import * as ed from "./editor-state.js";
import { edit, insertText, isEditKey } from "./editing.js";
import { applyOutput } from "./output.js";
import { enter, finished, interrupt, quit } from "./run-queue.js";
import { searchFrom, searchKey } from "./search.js";
import { isBusy, print, type ReplState } from "./state.js";

const none = (state: ReplState): Update => ({ state, effects: [] });

export function reduce(s: ReplState, action: ReplAction, env: ReplEnv): Update {
  switch (action.type) {
    case "key":
      return key(s, action.key, env);
    case "output":
      return none(applyOutput(s, action.events));
    case "finished":
      return finished(s, action.outcome, env);
    case "print":
      return none(print(s, action.item));
    case "explorer-closed":
      return none({ ...s, exploring: undefined });
  }
}

function key(s0: ReplState, k: KeyAction, env: ReplEnv): Update {
  if (k.type === "none" || s0.exited) return none(s0);
  let s = s0;
  if (k.type !== "interrupt") s = { ...s, lastCtrlC: 0, notice: undefined };
  const searched = searchKey(s, k);
  if (searched) return none(searched);
  // Any other key accepts the match and then acts, as in readline.
  if (s.search) s = { ...s, search: undefined };
  if (k.type !== "tab") s = { ...s, completion: undefined };
  if (isEditKey(k)) return none(edit(s, k));
  switch (k.type) {
    case "insert-submit":
      return enter({ ...s, buf: insertText(s.buf, k.text) }, env);
    case "submit":
      return enter(s, env);
    case "tab":
      return none(tab(s, env));
    case "interrupt":
      return interrupt(s, env);
    case "eof":
      return s.buf.text === "" && !isBusy(s) ? quit(s, []) : none({ ...s, buf: ed.deleteForward(s.buf) });
    case "search":
      return none(searchFrom(s, "", s.history.length - 1));
    case "cancel":
      return none(s);
  }
  return none(s);
}
