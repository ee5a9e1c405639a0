/**
 * `steplab gc [FLOW | FLOW/RUN ...] (--keep-last N | --older-than DURATION) [--keep-tag T] [--dry-run]`
 * and `steplab gc --compact`: deletes finished runs the rule selects, then every blob nothing
 * references any more (store/gc); --compact then gives the LMDB file's free space back to the disk.
 */
import parseDuration from "parse-duration";
import prettyBytes from "pretty-bytes";
import { NotFoundError, UsageError } from "../errors/index.js";
import { collectGarbage, KEEP_TAG, runPathspec, type CollectReport, type RunKey, type Store } from "../store/index.js";
import { EXIT, type CliIO } from "./io.js";
import { parseOptions, single, type OptionSpec } from "./options.js";
import { formatStarted } from "./runs.js";
import { openUserStore } from "./store-access.js";

export const GC_USAGE = `Usage: steplab gc [FLOW | FLOW/RUN ...] (--keep-last N | --older-than DURATION) [--keep-tag T] [--dry-run]
       steplab gc --compact

Deletes finished runs and then every artifact blob that no remaining run refers to.
Never deletes a run in progress, a run tagged '${KEEP_TAG}' (or --keep-tag), or the latest
successful run of a flow (name it as FLOW/RUN to delete it).`;

const OPTIONS: OptionSpec[] = [
  { name: "keep-last", kind: "value", help: "Keep the newest N runs of each flow" },
  { name: "older-than", kind: "value", help: "Delete runs started more than DURATION ago (30d, 12h, 90m)" },
  { name: "keep-tag", kind: "value", repeatable: true, help: "Never delete runs with this tag (besides 'keep')" },
  { name: "dry-run", kind: "flag", help: "Print what would be deleted and change nothing" },
  { name: "compact", kind: "flag", help: "Rewrite the LMDB datastore file so freed space returns to the disk" },
  { name: "help", kind: "flag" },
];

function keepLastOption(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(n) || n < 0) {
    throw new UsageError(`Invalid value for --keep-last: '${raw}' is not a number of runs (0 or more)`);
  }
  return n;
}

export function parseDurationOption(raw: string): number {
  const ms = /^\s*\d+(\.\d+)?\s*[a-z]+(\s*\d+(\.\d+)?\s*[a-z]+)*\s*$/i.test(raw) ? parseDuration(raw) : null;
  if (ms === null || ms === undefined || !(ms > 0)) {
    throw new UsageError(`Invalid value for --older-than: '${raw}' is not a duration; write it as 30d, 12h, 90m or 1d12h`);
  }
  return ms;
}

function bytes(n: number): string {
  return `${prettyBytes(n)} (${n.toLocaleString("en-US")} bytes)`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function formatReport(report: CollectReport): string {
  const would = report.dryRun ? "Would delete" : "Deleted";
  const lines: string[] = [];
  if (report.runs.length > 0) {
    lines.push(`${would} ${plural(report.runs.length, "run")} (${plural(report.tasks, "task")}):`);
    for (const { run, ownBytes } of report.runs) {
      lines.push(`  ${runPathspec(run)}  ${run.status}  started ${formatStarted(run.createdAt)}  ${prettyBytes(ownBytes)}`);
    }
  } else {
    lines.push(report.dryRun ? "No run would be deleted." : "No run deleted.");
  }
  for (const { run, why } of report.spared) lines.push(`Kept ${runPathspec(run)}: ${why}`);
  if (report.blobs === 0)
    lines.push(`${report.dryRun ? "No artifact blob would be deleted" : "No artifact blob deleted"}: every one is still in use.`);
  else
    lines.push(`${would} ${plural(report.blobs, "artifact blob")}: ${bytes(report.bytes)} ${report.dryRun ? "would be freed" : "freed"}.`);
  if (report.pinned > 0) lines.push(`Kept ${plural(report.pinned, "blob")} that runs in progress started using meanwhile.`);
  if (report.dryRun) lines.push("Nothing was changed (--dry-run).");
  return `${lines.join("\n")}\n`;
}

function namedRuns(positionals: string[]): RunKey[] {
  return positionals.map((p) => {
    const parts = p.split("/");
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw new UsageError(`'${p}' is not a run: name runs as FLOW/RUN_ID`);
    return { flow: parts[0], runId: parts[1] };
  });
}

async function compact(store: Store, io: CliIO): Promise<void> {
  const collector = store.collector();
  if (!collector.compact) {
    throw new UsageError(
      `--compact rewrites an LMDB datastore file; ${store.root} keeps its blobs in S3, where deleting frees the space at once`,
    );
  }
  const { before, after } = await collector.compact();
  io.stdout(
    `Compacted ${store.root}: ${prettyBytes(before)} -> ${prettyBytes(after)}; ${bytes(Math.max(0, before - after))} returned to the disk.\n`,
  );
}

export async function gcCommand(args: string[], io: CliIO): Promise<number> {
  const parsed = parseOptions(args, OPTIONS, "gc");
  if (parsed.values.has("help")) {
    io.stdout(`${GC_USAGE}\n`);
    return EXIT.ok;
  }
  const keepLastRaw = single(parsed, "keep-last");
  const olderThanRaw = single(parsed, "older-than");
  const keepLast = keepLastRaw === undefined ? undefined : keepLastOption(keepLastRaw);
  const olderThanMs = olderThanRaw === undefined ? undefined : parseDurationOption(olderThanRaw);
  const dryRun = parsed.values.has("dry-run");
  const wantsCompact = parsed.values.has("compact");
  const named = parsed.positionals.some((p) => p.includes("/")) ? namedRuns(parsed.positionals) : undefined;
  if (!named && parsed.positionals.length > 1)
    throw new UsageError(`gc takes one FLOW (or runs as FLOW/RUN_ID), not ${parsed.positionals.join(" ")}`);
  if (named && (keepLast !== undefined || olderThanMs !== undefined)) {
    throw new UsageError("Name runs (FLOW/RUN_ID) or give --keep-last / --older-than, not both");
  }
  const collecting = named !== undefined || keepLast !== undefined || olderThanMs !== undefined;
  if (!collecting && !wantsCompact) throw new UsageError(`gc needs --keep-last N or --older-than DURATION (or --compact).\n\n${GC_USAGE}`);
  if (dryRun && wantsCompact) throw new UsageError("--dry-run shows what gc would delete; run --compact on its own");

  const store = openUserStore(io);
  try {
    if (collecting) {
      const flow = named ? undefined : parsed.positionals[0];
      if (flow !== undefined && !store.listFlows().includes(flow)) {
        throw new NotFoundError(`Flow '${flow}' has no runs in ${store.root}. Flows: ${store.listFlows().join(", ") || "(none)"}`);
      }
      const report = await collectGarbage(store, {
        flow,
        named,
        keepLast,
        olderThanMs,
        keepTags: parsed.values.get("keep-tag") ?? [],
        dryRun,
        now: Date.now(),
      });
      io.stdout(formatReport(report));
      if (!dryRun && !wantsCompact && report.bytes > 0 && store.collector().compact) {
        io.stdout(
          "The datastore file keeps its size (LMDB reuses the space for new data); `steplab gc --compact` returns it to the disk.\n",
        );
      }
    }
    if (wantsCompact) await compact(store, io);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
