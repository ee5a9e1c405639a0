/**
 * The contract between notebook front ends (kernel/, repl/) and runtime/session.
 * Front ends only translate: every cell semantic lives behind this interface.
 */
import type { InputHistory } from "./input-history.js";

import type { MimeBundle } from "../display/index.js";

/** A Jupyter-style MIME bundle: "text/plain" is always present. */
export type { MimeBundle };

export interface CellSink {
  stdout(text: string): void;
  stderr(text: string): void;
  /** display() from a cell; `update` re-renders an earlier display with the same displayId. */
  display(data: MimeBundle, opts?: { displayId?: string; update?: boolean; metadata?: Record<string, unknown> }): void;
  clearOutput(wait: boolean): void;
  /** Progress of steps or a runFlow() run, for live views. */
  progress?(p: Progress): void;
  /** stdin: a cell's prompt() asks the front end; undefined when the front end cannot ask. */
  input?(prompt: string, password: boolean): Promise<string>;
}

export interface Progress {
  label: string; // e.g. "ClassifierTrainFlow/1732900000000000" or "step analyze"
  done: number;
  total: number;
  startedAt: number;
  finished: boolean;
  /** Set with `finished` when a task failed: `done` stops short of `total`. */
  failed?: boolean;
}

import type { CellError } from "../../errors/index.js";

export type { CellError };

export interface ExecuteOptions {
  sink: CellSink;
  /** Jupyter cell tags, read like directives (step:NAME, prev:A, foreach:X, setup, parameters, skip). */
  tags?: string[];
  cellId?: string;
  executionCount?: number;
  silent?: boolean;
  /** Jupyter's store_history: false keeps the cell out of the input history. */
  storeHistory?: boolean;
  /** Ids of cells deleted in the front end since its last request (JupyterLab's `deletedCells`): they leave the graph. */
  deletedCells?: string[];
}

export interface ExecuteOutcome {
  status: "ok" | "error" | "aborted";
  /** The value of the cell's last expression, when there is one. */
  result?: MimeBundle;
  error?: CellError;
  /** The step the cell ran as (undefined for setup, parameters, skip cells and magics). */
  step?: string;
  taskPathspec?: string;
}

export interface CompletionResult {
  matches: string[];
  /** UTF-16 offsets into the code (the kernel converts them to Jupyter's code points). */
  cursorStart: number;
  cursorEnd: number;
  metadata?: Record<string, unknown>;
}

export interface InspectResult {
  found: boolean;
  data: MimeBundle | Record<string, never>;
}

export interface IsCompleteResult {
  status: "complete" | "incomplete" | "invalid" | "unknown";
  indent?: string;
}

export interface SessionState {
  flow: string;
  runId?: string;
  currentStep?: string;
  stale: string[];
  /** `%load`: the past task whose inputs scratch cells see. */
  loaded?: string;
  /** `%cache off`: re-running a cell runs it even when it could reuse a task. */
  cacheOff?: boolean;
  steps: {
    name: string;
    parents: string[];
    foreach?: string;
    /** The ids of the step's newest tasks, comma-separated. */
    taskId?: string;
    stale: boolean;
    /** Its newest run failed: its children cannot run until it succeeds. */
    failed?: boolean;
    /** Its cell as the front end names it: `In [3]`. */
    cell?: string;
  }[];
}

export interface NotebookSession {
  readonly state: SessionState;
  execute(code: string, opts: ExecuteOptions): Promise<ExecuteOutcome>;
  /** Stop the running cell (disposes its isolate); committed artifacts stay. */
  interrupt(): void;
  complete(code: string, cursor: number): CompletionResult;
  inspect(code: string, cursor: number, detailLevel: 0 | 1): InspectResult;
  isComplete(code: string): IsCompleteResult;
  /** The cells executed so far in this session, as notebook cells (for %save / export). */
  cells(): { source: string; tags: string[] }[];
  /** Input history shared by every session on the store; the session records what it executes. */
  readonly history: InputHistory;
  close(): Promise<void>;
}

/** What %rerun would do with a step that is not up to date. */
export type RerunVerdict = "reuse" | "run" | "after parents";
