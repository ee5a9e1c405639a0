/**
 * Prompt history. The REPL only needs a list and an append; where it lives (the store's
 * `history` database, memory in tests) is the caller's choice.
 */
import type { HistoryEntry } from "../store/index.js";

export interface HistoryStore {
  /** Entries, oldest first. */
  list(): string[];
  add(source: string): void;
}

export function memoryHistory(initial: string[] = []): HistoryStore {
  const entries = [...initial];
  return {
    list: () => [...entries],
    add: (s) => {
      entries.push(s);
    },
  };
}

/** The part of the store history needs (store/types.ts `Store`). */
export interface HistoryBackend {
  addHistory(entry: HistoryEntry): Promise<void>;
  listHistory(limit?: number): HistoryEntry[];
}

/**
 * History persisted in the store, shared by every REPL and kernel session on that store. Writes
 * are fire-and-forget: losing a history line must never fail a cell.
 */
export function storeHistory(
  store: HistoryBackend,
  opts: {
    session?: string;
    limit?: number;
    /** Which entries to write; others are kept for this session only (e.g. ones the session records itself). */
    persist?: (source: string) => boolean;
    onError?: (e: unknown) => void;
  } = {},
): HistoryStore {
  const session = opts.session ?? "repl";
  const loaded = store.listHistory(opts.limit ?? 1000).map((e) => e.source);
  let line = 0;
  return {
    list: () => [...loaded],
    add: (source) => {
      loaded.push(source);
      if (opts.persist && !opts.persist(source)) return;
      store.addHistory({ session, line: ++line, source, at: Date.now() }).catch((e: unknown) => opts.onError?.(e));
    },
  };
}

/** Cursor over history for Up/Down, keeping the unfinished prompt as a draft to come back to. */
export interface HistoryCursor {
  /** Index into entries, or entries.length when at the draft. */
  index: number;
  draft: string;
}

/** Older entry, or undefined at the oldest. Consecutive duplicates are skipped. */
export function older(entries: string[], cur: HistoryCursor, current: string): { cursor: HistoryCursor; text: string } | undefined {
  const draft = cur.index >= entries.length ? current : cur.draft;
  let i = Math.min(cur.index, entries.length) - 1;
  while (i >= 0 && entries[i] === current) i--;
  if (i < 0) return undefined;
  return { cursor: { index: i, draft }, text: entries[i] ?? "" };
}

/** Newer entry, or the draft when past the newest; undefined when already at the draft. */
export function newer(entries: string[], cur: HistoryCursor, current: string): { cursor: HistoryCursor; text: string } | undefined {
  if (cur.index >= entries.length) return undefined;
  let i = cur.index + 1;
  while (i < entries.length && entries[i] === current) i++;
  if (i >= entries.length) return { cursor: { index: entries.length, draft: cur.draft }, text: cur.draft };
  return { cursor: { index: i, draft: cur.draft }, text: entries[i] ?? "" };
}

/** Newest entry at or before `from` containing `query` (Ctrl-R). */
export function searchBack(entries: string[], query: string, from: number): number | undefined {
  for (let i = Math.min(from, entries.length - 1); i >= 0; i--) if ((entries[i] ?? "").includes(query)) return i;
  return undefined;
}
