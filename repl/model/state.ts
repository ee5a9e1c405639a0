/**
 * The REPL as a value: the prompt, the history cursor, the run queue, the running cell and the
 * transcript. `reduce` (reduce.ts) is the only thing that makes a new one; components only read it.
 */
import type { CellError, MimeBundle, Progress } from "../../runtime/session/index.js";
import { type EditorState, emptyEditor } from "./editor-state.js";
import { atDraft, type HistoryCursor } from "./history-cursor.js";

/** A cell of a notebook opened with `steplab repl NB.ipynb` (listed, run by `%run N` / `%runall`). */
export interface NotebookCell {
  /** The nbformat cell id: re-running the cell updates its step instead of adding one. */
  id?: string;
  cellType: "code" | "markdown" | "raw";
  source: string;
  tags: string[];
}

/** What the REPL was started with; fixed for its lifetime. */
export interface ReplConfig {
  /** The opened notebook's cells; undefined when no notebook was opened. */
  cells?: readonly NotebookCell[];
  /** The opened notebook's path: the default target of `%save`. */
  notebookPath?: string;
  /** Whether `%explore` has a store to browse. */
  canExplore: boolean;
  /** Sources of earlier inputs, oldest first (the session's input history). */
  history: readonly string[];
}

/** What scrolls up the terminal: each item is rendered once. */
export type OutputItem = { id: number } & (
  | { kind: "input"; count: number; code: string; note?: string }
  | { kind: "stream"; name: "stdout" | "stderr"; text: string }
  | { kind: "result"; count: number; data: MimeBundle }
  | { kind: "display"; data: MimeBundle }
  | { kind: "error"; error: CellError }
  | { kind: "info"; text: string; tone?: "dim" | "warn" | "error" | "ok" }
  /** The opened notebook's code cells (at start and for `%cells`). */
  | { kind: "listing"; cells: readonly NotebookCell[]; path?: string }
);

export type NewOutputItem = OutputItem extends infer T ? (T extends { id: number } ? Omit<T, "id"> : never) : never;

/** A cell waiting to run. */
export interface Job {
  code: string;
  tags: string[];
  cellId?: string;
  /** The execution count of a typed cell, already echoed; notebook cells get theirs when they start. */
  count?: number;
  /** Shown above the echoed input (which notebook cell, its tags). */
  note?: string;
  /** Cell `index` of `total` in a `%runall`: a failure or Ctrl-C stops the rest. */
  batch?: { index: number; total: number };
}

/** The cell running now, as the live view shows it. */
export interface LiveCell {
  count: number;
  startedAt: number;
  /** Output after the last newline, shown live until its line is complete. */
  partial: { stdout: string; stderr: string };
  progress: ReadonlyMap<string, Progress>;
  interrupting: boolean;
  batch?: { index: number; total: number };
}

export interface Completion {
  matches: string[];
  /** -1: none selected yet. */
  selected: number;
  /** UTF-16 range in the buffer that the selected match replaces. */
  start: number;
  end: number;
}

export interface Search {
  query: string;
  index: number | undefined;
  failed: boolean;
  /** The prompt before the search: Esc or Ctrl-C restores it. */
  original: EditorState;
}

export interface ReplState {
  readonly config: ReplConfig;
  readonly buf: EditorState;
  readonly hist: HistoryCursor;
  /** Sources for Up/Down and Ctrl-R, oldest first: the session's history, then this REPL's inputs. */
  readonly history: readonly string[];
  readonly completion?: Completion | undefined;
  readonly search?: Search | undefined;
  /** The last execution count given (the prompt shows the next). */
  readonly execCount: number;
  /** When Ctrl-C was last pressed on an empty prompt (a second press within the window quits). */
  readonly lastCtrlC: number;
  readonly notice?: string | undefined;
  readonly live?: LiveCell | undefined;
  /** Displays with a displayId stay live (they can be updated) until their cell ends. */
  readonly liveDisplays: ReadonlyMap<string, MimeBundle>;
  /** Cells waiting for the running one (the rest of a `%runall`). */
  readonly queue: readonly Job[];
  /** Enter was pressed while a cell ran: the prompt is submitted when the queue is done. */
  readonly enterQueued: boolean;
  /** Ctrl-C during a cell: the queue is dropped when it ends. */
  readonly stopAll: boolean;
  readonly exploring?: { flow?: string } | undefined;
  readonly exited: boolean;
  readonly transcript: readonly OutputItem[];
  readonly nextId: number;
}

const GREETING =
  "steplab REPL · Enter runs a complete cell · Alt-Enter/Ctrl-J new line · Tab completes · Ctrl-R searches history · %explore browses runs · Ctrl-D quits";

export function initialState(config: ReplConfig): ReplState {
  const first: NewOutputItem[] = [{ kind: "info", tone: "dim", text: GREETING }];
  if (config.cells) first.push(listing(config));
  return {
    config,
    buf: emptyEditor,
    hist: atDraft,
    history: config.history,
    execCount: 0,
    lastCtrlC: 0,
    liveDisplays: new Map(),
    queue: [],
    enterQueued: false,
    stopAll: false,
    exited: false,
    transcript: first.map((it, id) => ({ ...it, id }) as OutputItem),
    nextId: first.length,
  };
}

/** A cell is running (typed keys still edit the prompt; Enter queues it). */
export function isBusy(s: ReplState): boolean {
  return s.live !== undefined;
}

export function codeCells(config: ReplConfig): NotebookCell[] {
  return (config.cells ?? []).filter((c) => c.cellType === "code");
}

export function listing(config: ReplConfig): NewOutputItem {
  return { kind: "listing", cells: codeCells(config), ...(config.notebookPath !== undefined ? { path: config.notebookPath } : {}) };
}

/** The state with items appended to the transcript. */
export function print(s: ReplState, ...items: NewOutputItem[]): ReplState {
  if (items.length === 0) return s;
  return {
    ...s,
    transcript: [...s.transcript, ...items.map((it, i) => ({ ...it, id: s.nextId + i }) as OutputItem)],
    nextId: s.nextId + items.length,
  };
}
