/**
 * Up/Down and Ctrl-R over the input history's sources (runtime/session's InputHistory, oldest
 * first), as readline does them: the unfinished prompt is kept as a draft to come back to.
 */

/** Where Up/Down stand in the history. */
export interface HistoryCursor {
  /** Index into entries, or entries.length (or more) when at the draft. */
  index: number;
  draft: string;
}

/** At the draft: where a new prompt starts. */
export const atDraft: HistoryCursor = { index: Number.MAX_SAFE_INTEGER, draft: "" };

/** Older entry, or undefined at the oldest. Consecutive duplicates are skipped. */
export function older(
  entries: readonly string[],
  cur: HistoryCursor,
  current: string,
): { cursor: HistoryCursor; text: string } | undefined {
  const draft = cur.index >= entries.length ? current : cur.draft;
  let i = Math.min(cur.index, entries.length) - 1;
  while (i >= 0 && entries[i] === current) i--;
  if (i < 0) return undefined;
  return { cursor: { index: i, draft }, text: entries[i] ?? "" };
}

/** Newer entry, or the draft when past the newest; undefined when already at the draft. */
export function newer(
  entries: readonly string[],
  cur: HistoryCursor,
  current: string,
): { cursor: HistoryCursor; text: string } | undefined {
  if (cur.index >= entries.length) return undefined;
  let i = cur.index + 1;
  while (i < entries.length && entries[i] === current) i++;
  if (i >= entries.length) return { cursor: { index: entries.length, draft: cur.draft }, text: cur.draft };
  return { cursor: { index: i, draft: cur.draft }, text: entries[i] ?? "" };
}

/** Newest entry at or before `from` containing `query` (Ctrl-R). */
export function searchBack(entries: readonly string[], query: string, from: number): number | undefined {
  for (let i = Math.min(from, entries.length - 1); i >= 0; i--) if ((entries[i] ?? "").includes(query)) return i;
  return undefined;
}
