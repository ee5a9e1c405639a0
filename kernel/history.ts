/**
 * history_request: the session's input history (runtime/session's `InputHistory`) answered the
 * way IPython's HistoryManager answers it. The store names sessions by id (a kernel's id, "repl");
 * Jupyter numbers them, so each id is numbered in order of first appearance.
 */
import type { InputHistory } from "../runtime/session/index.js";

/** One row of a history_reply: (session number, line, input). */
export interface HistoryRow {
  session: number;
  line: number;
  input: string;
}

/** The history as Jupyter sees it: numbered sessions, and which number is the running kernel's. */
function numbered(history: InputHistory): { rows: HistoryRow[]; current: number } {
  const ids = new Map<string, number>();
  const rows = history.list().map((e) => {
    let n = ids.get(e.session);
    if (n === undefined) ids.set(e.session, (n = ids.size + 1));
    return { session: n, line: e.line, input: e.source };
  });
  return { rows, current: ids.get(history.session) ?? ids.size + 1 };
}

export interface HistoryQuery {
  hist_access_type?: string;
  session?: number;
  start?: number;
  stop?: number | null;
  n?: number | null;
  pattern?: string;
  unique?: boolean;
}

/** fnmatch-style glob as IPython's history search uses it (`*`, `?`, `[...]`). */
function globToRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "*") re += "[\\s\\S]*";
    else if (ch === "?") re += "[\\s\\S]";
    else if (ch === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        let body = pattern.slice(i + 1, end).replace(/\\/g, "\\\\");
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        re += `[${body}]`;
        i = end;
      }
    } else re += ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

function lastN<T>(items: T[], n: number | null | undefined): T[] {
  return n === null || n === undefined || n <= 0 ? items : items.slice(-n);
}

function dedupe(items: HistoryRow[]): HistoryRow[] {
  const seen = new Set<string>();
  const out: HistoryRow[] = [];
  for (let i = items.length - 1; i >= 0; i--) {
    const e = items[i]!;
    if (seen.has(e.input)) continue;
    seen.add(e.input);
    out.unshift(e);
  }
  return out;
}

/** Answers a history_request like IPython's HistoryManager: tail, range or search. */
export function queryHistory(history: InputHistory, q: HistoryQuery): HistoryRow[] {
  const { rows: all, current } = numbered(history);
  switch (q.hist_access_type) {
    case "tail": {
      const list = q.unique ? dedupe(all) : all;
      return lastN(list, q.n ?? 10);
    }
    case "range": {
      const raw = q.session ?? 0;
      const session = raw <= 0 ? current + raw : raw;
      const start = q.start ?? 1;
      const stop = q.stop ?? null;
      const rows = all.filter((e) => e.session === session && e.line >= start && (stop === null || e.line < stop));
      // IPython answers a range over the current session (0) with session 0 in each row.
      return raw === 0 ? rows.map((e) => ({ ...e, session: 0 })) : rows;
    }
    case "search": {
      // IPython wraps the pattern in '*' unless told otherwise; clients already send e.g. "*foo*".
      const re = globToRegExp(q.pattern ?? "*");
      const hits = all.filter((e) => re.test(e.input));
      return lastN(q.unique ? dedupe(hits) : hits, q.n);
    }
    default:
      return [];
  }
}
