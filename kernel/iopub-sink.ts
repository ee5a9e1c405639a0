/** The CellSink a running cell writes to: each call becomes an IOPub message parented to the request. */
import type { CellSink, MimeBundle, Progress } from "../runtime/session/index.js";
import type { JupyterMessage } from "./wire.js";

/** What the sink needs of the kernel: IOPub, and stdin for a cell's prompt(). */
export interface IopubTarget {
  publish(parent: JupyterMessage | null, msgType: string, content: Record<string, unknown>, metadata?: Record<string, unknown>): void;
  askInput(req: JupyterMessage, prompt: string, password: boolean): Promise<string>;
}

export const silentSink: CellSink = { stdout() {}, stderr() {}, display() {}, clearOutput() {} };

/** A step or run that finishes sooner shows only its final count. */
const SHOW_PROGRESS_AFTER_MS = 500;
/** At most this often an update in place. */
const UPDATE_PROGRESS_EVERY_MS = 100;

function progressText(p: Progress): string {
  return `${p.label}: ${p.done}/${p.total}${p.failed ? " failed" : p.finished ? " done" : ""}`;
}

/**
 * One progress display per step (or runFlow run), updated in place with update_display_data on its
 * display_id, so a notebook keeps one line that ends at the final count. A quick one is shown once,
 * finished: jupyter console, which shows no updates, then prints the true count too.
 */
class ProgressDisplay {
  #latest: Progress;
  #shown = false;
  #timer?: NodeJS.Timeout;

  constructor(
    first: Progress,
    private readonly display: (data: MimeBundle, update: boolean) => void,
  ) {
    this.#latest = first;
  }

  update(p: Progress): void {
    this.#latest = p;
    if (p.finished) this.flush();
    else if (!this.#timer) {
      const wait = this.#shown ? UPDATE_PROGRESS_EVERY_MS : Math.max(0, SHOW_PROGRESS_AFTER_MS - (Date.now() - p.startedAt));
      this.#timer = setTimeout(() => this.flush(), wait);
    }
  }

  /** Shows the latest count now (the cell is over, or it is time for an update). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.display({ "text/plain": progressText(this.#latest) }, this.#shown);
    this.#shown = true;
  }

  get pending(): boolean {
    return this.#timer !== undefined || !this.#shown;
  }
}

export interface IopubSink extends CellSink {
  /** The cell is over: progress still waiting to be shown is shown now, before the reply. */
  finish(): void;
}

export function iopubSink(ctx: IopubTarget, req: JupyterMessage, allowStdin: boolean): IopubSink {
  const progress = new Map<string, ProgressDisplay>();
  const sink: IopubSink = {
    stdout: (text) => ctx.publish(req, "stream", { name: "stdout", text }),
    stderr: (text) => ctx.publish(req, "stream", { name: "stderr", text }),
    display: (data, opts) => {
      const transient = opts?.displayId !== undefined ? { display_id: opts.displayId } : {};
      const type = opts?.update && opts.displayId !== undefined ? "update_display_data" : "display_data";
      ctx.publish(req, type, { data, metadata: opts?.metadata ?? {}, transient });
    },
    clearOutput: (wait) => ctx.publish(req, "clear_output", { wait }),
    progress: (p: Progress) => {
      const id = `steplab-progress-${p.label}-${p.startedAt}`;
      let shown = progress.get(id);
      if (!shown) {
        shown = new ProgressDisplay(p, (data, update) => sink.display(data, { displayId: id, update }));
        progress.set(id, shown);
      }
      shown.update(p);
    },
    finish: () => {
      for (const p of progress.values()) if (p.pending) p.flush();
    },
  };
  if (allowStdin) sink.input = (prompt, password) => ctx.askInput(req, prompt, password);
  return sink;
}
