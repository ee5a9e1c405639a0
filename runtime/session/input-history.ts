/**
 * Input history: the one model behind the kernel's history_request and the REPL's Up/Down and
 * Ctrl-R. A session records what it executes (front ends add only inputs they answer themselves,
 * such as the REPL's own magics); every session on one store shares the history, so a new REPL or
 * kernel sees what earlier ones ran. Entries are the store's records (`HistoryEntry`); this model
 * adds what storage does not know: which session this is, its line numbers, and read-your-writes
 * (an entry is listed at once, before its write has committed).
 */
import type { HistoryEntry } from "../../store/index.js";

export type { HistoryEntry };

/** Where entries persist: the store (store/types.ts `Store`), or memory. */
export interface HistoryBackend {
  addHistory(entry: HistoryEntry): Promise<void>;
  /** Entries, oldest first; the last `limit` if given. */
  listHistory(limit?: number): HistoryEntry[];
}

export interface InputHistoryOptions {
  /** The id this session's entries carry (a kernel's session id, "repl"). Default "notebook". */
  session?: string;
  /** A write that failed: the entry stays listed for this session; losing it must never fail a cell. */
  onError?: (e: unknown) => void;
}

export class InputHistory {
  readonly session: string;
  private lastLine = 0;
  /** Entries recorded here whose write has not committed (or failed): listed after the backend's. */
  private readonly unsaved: HistoryEntry[] = [];

  constructor(
    private readonly backend: HistoryBackend,
    private readonly opts: InputHistoryOptions = {},
  ) {
    this.session = opts.session ?? "notebook";
  }

  /** A history kept in memory only (a session without a store, a test double). */
  static inMemory(opts: InputHistoryOptions & { entries?: readonly string[] } = {}): InputHistory {
    return new InputHistory(memoryHistoryBackend(opts.entries), opts);
  }

  /** Records one input. `line` is the front end's execution count (Jupyter's In [N]) when it has one. */
  add(source: string, line?: number): void {
    this.lastLine = line ?? this.lastLine + 1;
    const entry: HistoryEntry = { session: this.session, line: this.lastLine, source, at: Date.now() };
    this.unsaved.push(entry);
    const saved = () => {
      const i = this.unsaved.indexOf(entry);
      if (i >= 0) this.unsaved.splice(i, 1);
    };
    // Written beside the cell, not before it: LMDB keeps the order, and the cell need not wait.
    let write: Promise<void>;
    try {
      write = this.backend.addHistory(entry);
    } catch (e) {
      write = Promise.reject(e);
    }
    write.then(saved, (e: unknown) => this.opts.onError?.(e));
  }

  /** Entries of this and earlier sessions on the same store, oldest first; the last `limit` if given. */
  list(limit?: number): HistoryEntry[] {
    if (limit !== undefined && limit <= 0) return [];
    // A write can commit before its promise settles: an entry the backend lists is not listed twice.
    // (Read enough to see the unsaved entries that did commit, then keep the last `limit`.)
    const stored = this.backend.listHistory(limit === undefined ? undefined : limit + this.unsaved.length);
    const pending = this.unsaved.filter((u) => !stored.some((s) => sameEntry(s, u)));
    const all = pending.length ? [...stored, ...pending] : stored;
    return limit === undefined ? all : all.slice(-limit);
  }
}

/** Entries kept in memory; `earlier` are inputs of an earlier session, oldest first. */
export function memoryHistoryBackend(earlier: readonly string[] = []): HistoryBackend {
  const kept: HistoryEntry[] = earlier.map((source, i) => ({ session: "earlier", line: i + 1, source, at: 0 }));
  return {
    addHistory: async (entry) => {
      kept.push(entry);
    },
    listHistory: (limit) => (limit === undefined ? [...kept] : limit <= 0 ? [] : kept.slice(-limit)),
  };
}

function sameEntry(a: HistoryEntry, b: HistoryEntry): boolean {
  return a.session === b.session && a.line === b.line && a.at === b.at && a.source === b.source;
}
