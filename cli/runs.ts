/** `steplab runs [FLOW]`: recent runs with status, duration, tags and resume origin, newest first. */
import { runPathspec, type RunRecord } from "../store/index.js";
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

export function formatRuns(runs: RunRecord[], now = Date.now()): string {
  const rows = runs.map((r) => [
    runPathspec(r),
    r.status,
    r.finishedAt ? formatDuration(r.finishedAt - r.createdAt) : r.status === "running" ? `${formatDuration(now - r.createdAt)}…` : "-",
    new Date(r.createdAt).toISOString().replace("T", " ").slice(0, 19),
    r.tags.join(","),
    r.originRunId ? `resumed ${r.originRunId}` : "",
  ]);
  const head = ["RUN", "STATUS", "DURATION", "STARTED", "TAGS", "ORIGIN"];
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
    io.stdout(runs.length ? formatRuns(runs) : `No runs yet in ${store.root}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
