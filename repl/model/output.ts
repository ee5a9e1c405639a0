/**
 * A cell's output in the model: complete lines go to the transcript, the line being written stays
 * live under the prompt until its newline, displays with an id stay live until the cell ends.
 */
import type { ExecuteOutcome, MimeBundle, Progress } from "../../runtime/session/index.js";
import type { SinkEvent } from "./actions.js";
import { type LiveCell, type NewOutputItem, print, type ReplState } from "./state.js";

type Stream = "stdout" | "stderr";

/** Items of one batch: consecutive stream text is merged into one item before it is printed. */
class Batch {
  readonly items: NewOutputItem[] = [];
  stream(name: Stream, text: string): void {
    const last = this.items[this.items.length - 1];
    if (last && last.kind === "stream" && last.name === name) last.text += text;
    else this.items.push({ kind: "stream", name, text });
  }
}

interface Working {
  live: LiveCell | undefined;
  partial: { stdout: string; stderr: string };
  progress: Map<string, Progress> | undefined;
  displays: Map<string, MimeBundle>;
}

function stream(w: Working, out: Batch, name: Stream, text: string): void {
  if (!w.live) {
    out.items.push({ kind: "stream", name, text });
    return;
  }
  const all = w.partial[name] + text;
  const cut = all.lastIndexOf("\n");
  if (cut < 0) {
    w.partial[name] = all;
    return;
  }
  out.stream(name, all.slice(0, cut + 1));
  w.partial[name] = all.slice(cut + 1);
}

/** Ends the lines being written, so what follows prints below them. */
function completePartials(w: Working, out: Batch): void {
  if (!w.live) return;
  for (const name of ["stdout", "stderr"] as const) if (w.partial[name]) stream(w, out, name, "\n");
}

function apply(w: Working, out: Batch, e: SinkEvent): void {
  switch (e.type) {
    case "stream":
      stream(w, out, e.name, e.text);
      return;
    case "display":
      if (e.displayId !== undefined) {
        if (e.update && !w.displays.has(e.displayId)) return;
        w.displays.set(e.displayId, e.data);
        return;
      }
      completePartials(w, out);
      out.items.push({ kind: "display", data: e.data });
      return;
    case "clear":
      w.partial = { stdout: "", stderr: "" };
      w.displays.clear();
      return;
    case "progress":
      if (w.live) {
        w.progress ??= new Map(w.live.progress);
        w.progress.set(e.progress.label, e.progress);
      }
      return;
  }
}

function working(s: ReplState): Working {
  return {
    live: s.live,
    partial: { ...(s.live?.partial ?? { stdout: "", stderr: "" }) },
    progress: undefined,
    displays: new Map(s.liveDisplays),
  };
}

function settle(s: ReplState, w: Working, out: Batch): ReplState {
  const live = w.live ? { ...w.live, partial: w.partial, ...(w.progress ? { progress: w.progress } : {}) } : undefined;
  return print({ ...s, live, liveDisplays: w.displays }, ...out.items);
}

/** A batch of sink events (also after the cell ended: its timers may still print). */
export function applyOutput(s: ReplState, events: readonly SinkEvent[]): ReplState {
  const w = working(s);
  const out = new Batch();
  for (const e of events) apply(w, out, e);
  return settle(s, w, out);
}

export const INTERRUPTED = "Interrupted (the session goes on; committed artifacts are kept)";

/** The running cell ended: what was live is printed for good, then its result or error. */
export function endCell(s: ReplState, outcome: ExecuteOutcome): ReplState {
  const w = working(s);
  const out = new Batch();
  completePartials(w, out);
  for (const data of w.displays.values()) out.items.push({ kind: "display", data });
  const count = s.live?.count ?? s.execCount;
  if (outcome.status === "ok" && outcome.result) out.items.push({ kind: "result", count, data: outcome.result });
  if (outcome.error) out.items.push({ kind: "error", error: outcome.error });
  else if (outcome.status === "aborted") out.items.push({ kind: "info", tone: "warn", text: INTERRUPTED });
  else if (outcome.status === "error") out.items.push({ kind: "info", tone: "error", text: "The cell failed." });
  return print({ ...s, live: undefined, liveDisplays: new Map() }, ...out.items);
}
