/** Tab: complete from the session, cycle through several matches, or indent an empty line. */
import type { ReplEnv } from "./actions.js";
import * as ed from "./editor-state.js";
import type { ReplState } from "./state.js";

function commonPrefix(words: string[]): string {
  if (words.length === 0) return "";
  let p = words[0] ?? "";
  for (const w of words) while (!w.startsWith(p)) p = p.slice(0, -1);
  return p;
}

export function tab(s: ReplState, env: ReplEnv): ReplState {
  const c = s.completion;
  if (c && c.matches.length > 1) {
    const selected = (c.selected + 1) % c.matches.length;
    const match = c.matches[selected] ?? "";
    return { ...s, buf: ed.replaceRange(s.buf, c.start, c.end, match), completion: { ...c, selected, end: c.start + match.length } };
  }
  if (ed.textBeforeCursorOnLine(s.buf).trim() === "") return { ...s, buf: ed.insert(s.buf, "  ") };
  let r: ReturnType<ReplEnv["complete"]>;
  try {
    r = env.complete(s.buf.text, ed.toCodePoints(s.buf.text, s.buf.cursor));
  } catch {
    return s;
  }
  const matches = [...new Set(r.matches)];
  if (matches.length === 0) return { ...s, notice: "no completions" };
  const start = ed.fromCodePoints(s.buf.text, r.cursorStart);
  const end = ed.fromCodePoints(s.buf.text, r.cursorEnd);
  const typed = s.buf.text.slice(start, end);
  if (matches.length === 1) return { ...s, buf: ed.replaceRange(s.buf, start, end, matches[0] ?? typed), completion: undefined };
  const prefix = commonPrefix(matches);
  const insertText = prefix.length > typed.length ? prefix : typed;
  return {
    ...s,
    buf: ed.replaceRange(s.buf, start, end, insertText),
    completion: { matches, selected: -1, start, end: start + insertText.length },
  };
}
