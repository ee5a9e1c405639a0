/** The CellSink a running cell writes to: each call becomes an IOPub message parented to the request. */
import type { CellSink, Progress } from "../runtime/session/index.js";
import type { JupyterMessage } from "./wire.js";

/** What the sink needs of the kernel: IOPub, and stdin for a cell's prompt(). */
export interface IopubTarget {
  publish(parent: JupyterMessage | null, msgType: string, content: Record<string, unknown>, metadata?: Record<string, unknown>): void;
  askInput(req: JupyterMessage, prompt: string, password: boolean): Promise<string>;
}

export const silentSink: CellSink = { stdout() {}, stderr() {}, display() {}, clearOutput() {} };

function progressText(p: Progress): string {
  return `${p.label}: ${p.done}/${p.total}${p.failed ? " failed" : p.finished ? " done" : ""}`;
}

export function iopubSink(ctx: IopubTarget, req: JupyterMessage, allowStdin: boolean): CellSink {
  const shownProgress = new Set<string>();
  const sink: CellSink = {
    stdout: (text) => ctx.publish(req, "stream", { name: "stdout", text }),
    stderr: (text) => ctx.publish(req, "stream", { name: "stderr", text }),
    display: (data, opts) => {
      const transient = opts?.displayId !== undefined ? { display_id: opts.displayId } : {};
      const type = opts?.update && opts.displayId !== undefined ? "update_display_data" : "display_data";
      ctx.publish(req, type, { data, metadata: opts?.metadata ?? {}, transient });
    },
    clearOutput: (wait) => ctx.publish(req, "clear_output", { wait }),
    // Progress is one display per step or run, updated in place (update_display_data on its
    // display_id), so every front end shows one line that ends at the final count.
    progress: (p: Progress) => {
      const id = `steplab-progress-${p.label}-${p.startedAt}`;
      sink.display({ "text/plain": progressText(p) }, { displayId: id, update: shownProgress.has(id) });
      shownProgress.add(id);
    },
  };
  if (allowStdin) sink.input = (prompt, password) => ctx.askInput(req, prompt, password);
  return sink;
}
