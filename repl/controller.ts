/**
 * Connects the REPL model to a NotebookSession: holds the current state, applies each action with
 * `reduce`, and carries out the effects it returns (run a cell, interrupt, save, quit). A cell's
 * output is batched: a cell printing thousands of lines must not re-render once per line.
 */
import { resolve as resolvePath } from "node:path";
import { cellError } from "../errors/index.js";
import type { CellSink, ExecuteOutcome, NotebookSession } from "../runtime/session/index.js";
import {
  type Effect,
  type ReplAction,
  type ReplConfig,
  type ReplEnv,
  type ReplState,
  type SinkEvent,
  initialState,
  reduce,
} from "./model/index.js";
import { saveNotebook } from "./notebook-file.js";

const FLUSH_MS = 30;

export interface ReplControllerOptions {
  session: NotebookSession;
  config: ReplConfig;
  /** Directory `%save` paths are relative to. */
  cwd: string;
  /** The user quit (after the last output is in the transcript). */
  onQuit: () => void;
}

export class ReplController {
  private state: ReplState;
  private readonly listeners = new Set<() => void>();
  private pending: SinkEvent[] = [];
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: ReplControllerOptions) {
    this.state = initialState(opts.config);
  }

  readonly getState = (): ReplState => this.state;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly dispatch = (action: ReplAction): void => {
    const { state, effects } = reduce(this.state, action, this.env());
    if (state !== this.state) {
      this.state = state;
      for (const l of this.listeners) l();
    }
    for (const e of effects) this.perform(e);
  };

  dispose(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  private env(): ReplEnv {
    const { session } = this.opts;
    return {
      now: Date.now(),
      isComplete: (code) => session.isComplete(code),
      complete: (code, cursor) => session.complete(code, cursor),
    };
  }

  private perform(e: Effect): void {
    const { session } = this.opts;
    switch (e.type) {
      case "execute":
        void this.execute(e);
        return;
      case "interrupt":
        try {
          session.interrupt();
        } catch {
          // An interrupt that cannot be delivered leaves the cell running; the user can press again.
        }
        return;
      case "record-history":
        try {
          session.history.add(e.source, e.line);
        } catch {
          // Losing a history line must never fail the REPL.
        }
        return;
      case "save":
        this.save(e.target);
        return;
      case "quit":
        this.flush();
        this.opts.onQuit();
        return;
    }
  }

  private async execute(e: Extract<Effect, { type: "execute" }>): Promise<void> {
    let outcome: ExecuteOutcome;
    try {
      outcome = await this.opts.session.execute(e.code, {
        sink: this.sink(),
        tags: e.tags,
        executionCount: e.count,
        ...(e.cellId !== undefined ? { cellId: e.cellId } : {}),
      });
    } catch (err) {
      outcome = { status: "error", error: cellError(err) };
    }
    this.flush();
    this.dispatch({ type: "finished", outcome });
  }

  private save(target: string): void {
    try {
      const file = resolvePath(this.opts.cwd, /\.[^/\\]+$/.test(target) ? target : `${target}.ipynb`);
      const cells = this.opts.session.cells();
      saveNotebook(file, cells);
      const text = `Saved ${cells.length} cell${cells.length === 1 ? "" : "s"} to ${file}`;
      this.dispatch({ type: "print", item: { kind: "info", tone: "ok", text } });
    } catch (err) {
      // A path that cannot be written is the user's to fix, not a bug: the message, no host frames.
      this.dispatch({ type: "print", item: { kind: "error", error: { ...cellError(err), traceback: [] } } });
    }
  }

  private sink(): CellSink {
    return {
      stdout: (text) => this.emit({ type: "stream", name: "stdout", text }),
      stderr: (text) => this.emit({ type: "stream", name: "stderr", text }),
      display: (data, o) =>
        this.emit({
          type: "display",
          data,
          ...(o?.displayId !== undefined ? { displayId: o.displayId } : {}),
          ...(o?.update ? { update: true } : {}),
        }),
      clearOutput: () => this.emit({ type: "clear" }),
      progress: (progress) => this.emit({ type: "progress", progress }),
    };
  }

  private emit(e: SinkEvent): void {
    this.pending.push(e);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    this.dispatch({ type: "output", events });
  }
}
