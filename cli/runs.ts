/**
 * `steplab runs [FLOW]`: recent runs with status, duration, size, tags and resume origin, newest
 * first. SIZE is what the run's own blobs take (those no other run refers to): what
 * `steplab gc` would free by deleting it.
 */
import prettyBytes from "pretty-bytes";
import { runPathspec, runSizes, type RunRecord } from "../store/index.js";
import { NotFoundError } from "../errors/index.js";
import { EXIT, type CliIO } from "./io.js";
import { integerOption, parseOptions, single } from "./options.js";
import { openUserStore } from "./store-access.js";

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - m * 60)}s`;
}

export function formatStarted(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

/** `sizes`: stored bytes of each run's own blobs, by run pathspec. */
export function formatRuns(runs: RunRecord[], sizes: Map<string, number>, now = Date.now()): string {
  const rows = runs.map((r) => [
    runPathspec(r),
    r.status,
    r.finishedAt ? formatDuration(r.finishedAt - r.createdAt) : r.status === "running" ? `${formatDuration(now - r.createdAt)}…` : "-",
    formatStarted(r.createdAt),
    prettyBytes(sizes.get(runPathspec(r)) ?? 0),
    r.tags.join(","),
    r.originRunId ? `resumed ${r.originRunId}` : "",
  ]);
  const head = ["RUN", "STATUS", "DURATION", "STARTED", "SIZE", "TAGS", "ORIGIN"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return `${[head, ...rows]
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}

export async function runsCommand(args: string[], io: CliIO): Promise<number> {
  const parsed = parseOptions(args, [{ name: "limit", kind: "value", help: "How many runs (default 20)" }], "runs");
  const limit = integerOption(single(parsed, "limit"), "limit", 20);
  const flow = parsed.positionals[0];
  const store = openUserStore(io);
  try {
    const flows = flow ? [flow] : store.listFlows();
    if (flow && !store.listFlows().includes(flow)) {
      throw new NotFoundError(`Flow '${flow}' has no runs in ${store.root}. Flows: ${store.listFlows().join(", ") || "(none)"}`);
    }
    const runs = flows
      .flatMap((f) => store.listRuns(f))
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, limit);
    io.stdout(runs.length ? formatRuns(runs, runSizes(store)) : `No runs yet in ${store.root}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
