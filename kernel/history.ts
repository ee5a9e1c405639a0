/**
 * Input history for `history_request`. The kernel reads it through `KernelHistory`, so the
 * store's persistent history (runtime/session) can replace the in-memory one without touching
 * the handlers.
 */

export interface HistoryEntry {
  /** Session number: increases each time a kernel starts against the same store. */
  session: number;
  /** The execution count the input ran with. */
  line: number;
  input: string;
}

export interface KernelHistory {
  /** The number of the running kernel's session (what `session: 0` means in a range request). */
  readonly currentSession: number;
  append(line: number, input: string): void;
  /** Every entry, oldest first. */
  entries(): readonly HistoryEntry[];
}

export class MemoryHistory implements KernelHistory {
  private readonly list: HistoryEntry[] = [];
  constructor(readonly currentSession = 1) {}
  append(line: number, input: string): void {
    this.list.push({ session: this.currentSession, line, input });
  }
  entries(): readonly HistoryEntry[] {
    return this.list;
  }
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

function dedupe(items: HistoryEntry[]): HistoryEntry[] {
  const seen = new Set<string>();
  const out: HistoryEntry[] = [];
  for (let i = items.length - 1; i >= 0; i--) {
    const e = items[i]!;
    if (seen.has(e.input)) continue;
    seen.add(e.input);
    out.unshift(e);
  }
  return out;
}

/** Answers a history_request like IPython's HistoryManager: tail, range or search. */
export function queryHistory(history: KernelHistory, q: HistoryQuery): HistoryEntry[] {
  const all = [...history.entries()];
  switch (q.hist_access_type) {
    case "tail": {
      const list = q.unique ? dedupe(all) : all;
      return lastN(list, q.n ?? 10);
    }
    case "range": {
      const raw = q.session ?? 0;
      const session = raw <= 0 ? history.currentSession + raw : raw;
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

/** A history the notebook session keeps in the store (runtime/session's `history()`). */
export interface StoredHistorySource {
  history(limit?: number): readonly { session: string; line: number; source: string }[];
}

/**
 * The store's history seen through the protocol: sessions there are ids (a kernel's id, "repl"),
 * Jupyter wants numbers, so each id is numbered in order of first appearance.
 */
export class StoreHistory implements KernelHistory {
  constructor(
    private readonly source: StoredHistorySource,
    private readonly sessionId: string,
  ) {}

  private numbered(): { entries: HistoryEntry[]; current: number } {
    const ids = new Map<string, number>();
    const entries = this.source.history().map((e) => {
      let n = ids.get(e.session);
      if (n === undefined) ids.set(e.session, (n = ids.size + 1));
      return { session: n, line: e.line, input: e.source };
    });
    return { entries, current: ids.get(this.sessionId) ?? ids.size + 1 };
  }

  get currentSession(): number {
    return this.numbered().current;
  }
  /** The session records what it executes itself. */
  append(): void {}
  entries(): readonly HistoryEntry[] {
    return this.numbered().entries;
  }
}

export function hasStoredHistory(x: unknown): x is StoredHistorySource {
  return typeof (x as { history?: unknown } | null)?.history === "function";
}
