/** Ctrl-R: reverse incremental search through the history, as readline does it. */
import type { KeyAction } from "./actions.js";
import * as ed from "./editor-state.js";
import { searchBack } from "./history-cursor.js";
import type { ReplState } from "./state.js";

/** Searches for `query` from entry `from` backwards; the prompt shows the match. */
export function searchFrom(s: ReplState, query: string, from: number): ReplState {
  const entries = s.history;
  const original = s.search?.original ?? s.buf;
  const found = query === "" ? undefined : searchBack(entries, query, from);
  let buf = s.buf;
  if (found !== undefined) {
    const text = entries[found] ?? "";
    const at = text.lastIndexOf(query);
    buf = ed.editorOf(text, at >= 0 ? at : text.length);
  }
  return { ...s, buf, search: { query, index: found ?? s.search?.index, failed: query !== "" && found === undefined, original } };
}

/**
 * A key while searching. Undefined when the key is not the search's: the search ends (keeping the
 * match in the prompt) and the key then acts as usual, as in readline.
 */
export function searchKey(s: ReplState, key: KeyAction): ReplState | undefined {
  const search = s.search;
  if (!search) return undefined;
  const last = s.history.length - 1;
  switch (key.type) {
    case "search":
      return searchFrom(s, search.query, search.index === undefined ? last : search.index - 1);
    case "insert":
      return searchFrom(s, search.query + key.text, search.index ?? last);
    case "backspace":
      return searchFrom(s, search.query.slice(0, -1), last);
    case "cancel":
    case "interrupt":
      return { ...s, buf: search.original, search: undefined };
    case "submit":
    case "newline":
      return { ...s, search: undefined, buf: ed.editorOf(s.buf.text) };
    default:
      return undefined;
  }
}
