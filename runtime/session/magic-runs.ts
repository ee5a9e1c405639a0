import { runPathspec } from "../../store/index.js";
import { tableBundle } from "./display.js";
import { type Magic, text } from "./magic.js";

function durationOf(created: number, finished?: number): string {
  if (finished === undefined) return "running";
  const ms = finished - created;
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/** `%runs [FLOW]`: the 20 newest runs, of every flow or of one. */
export const runsMagic: Magic = {
  name: "runs",
  usage: "%runs [FLOW]",
  async run(ctx, args) {
    const reader = ctx.storeReader;
    const flows = args ? [args] : reader.listFlows();
    const rows = flows
      .flatMap((f) => reader.listRuns(f))
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, 20)
      .map((r) => ({
        run: runPathspec(r),
        status: r.status,
        duration: durationOf(r.createdAt, r.finishedAt),
        started: new Date(r.createdAt).toISOString().replace("T", " ").slice(0, 19),
        tags: r.tags.join(","),
      }));
    return { status: "ok", result: rows.length ? tableBundle(rows) : text(args ? `No runs of ${args}.` : "No runs yet.") };
  },
};
