/**
 * A magic (`%dag`, `%rm 3`, ...) and what a session offers magics. Each magic is a file,
 * magic-NAME.ts, listed once in magics.ts; magics reach the session only through `MagicContext`.
 */
import type { StoreReader } from "../../store/index.js";
import type { LoadedTask } from "./loaded-task.js";
import type { CellSink, ExecuteOptions, ExecuteOutcome, MimeBundle, RerunVerdict, SessionState } from "./types.js";

export interface NotUpToDate {
  stale: string[];
  failed: string[];
  notRun: string[];
}

export interface MagicContext {
  readonly state: SessionState;
  readonly flow: string;
  readonly storeReader: StoreReader;
  /** `%flow NAME`: a new flow starts a new graph and run; says what happened. */
  setFlowName(name: string): Promise<string>;
  /** Steps without a fresh, successful task, by why. */
  notUpToDate(): NotUpToDate;
  /** What %rerun would do with each step that is not up to date: reuse it, run it, or decide after its parents. */
  rerunVerdicts(): Promise<Map<string, RerunVerdict>>;
  /**
   * Runs, parents first, every step that is not up to date; stops at the first that fails. `done`
   * lists the steps that ran or were reused, `reused` those of them whose every task was reused.
   */
  rerun(sink: CellSink): Promise<{ done: string[]; reused: string[]; error?: ExecuteOutcome["error"] }>;
  /** Writes the cells as a flow file; returns its path. */
  exportFlow(file: string): string;
  /** `%rm`: takes cells (by In [N], cell number or step name) out of the graph; says what changed. */
  removeCells(refs: string[]): Promise<string>;
  /** `%reset`: an empty graph and a new run for the next step cell; says what happened. */
  reset(): Promise<string>;
  scratch: boolean;
  /** `%cache on|off`: re-running a cell, and %rerun, reuse unchanged tasks. */
  cache: boolean;
  /** `%load`: the past task whose inputs scratch cells see, if any. */
  readonly loadedTask: LoadedTask | undefined;
  /** `%load PATHSPEC`: loads that task (throws a clear error for a pathspec that names none). */
  loadTask(pathspec: string): LoadedTask;
  /** `%load off`. */
  unloadTask(): void;
}

export interface Magic {
  name: string;
  /** How it is typed, for the list of magics: `%rm N|STEP ...`. */
  usage: string;
  run(ctx: MagicContext, args: string, opts: ExecuteOptions): Promise<ExecuteOutcome>;
}

export function text(t: string): MimeBundle {
  return { "text/plain": t };
}

export function ok(t: string): ExecuteOutcome {
  return { status: "ok", result: text(t) };
}
