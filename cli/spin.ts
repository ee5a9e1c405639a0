/**
 * `steplab FLOW.ts spin STEP|RUN/STEP/TASK [--artifacts FILE.json] [--persist]`: runs one step on
 * the inputs of a past task (default: the step's task in the latest successful run, the first one
 * for a foreach step) with the flow file's code as it is now, prints its output and the artifacts
 * it set. Nothing enters the run history unless --persist, which keeps it in a run tagged `spin`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../errors/index.js";
import type { FlowGraph } from "../runtime/graph/index.js";
import { spinStep } from "../runtime/scheduler/index.js";
import { runPathspec, taskPathspec } from "../store/index.js";
import { artifactLine } from "./dump.js";
import { EXIT, type CliIO } from "./io.js";
import { runConsole } from "./run-console.js";
import { parseOptions, single, type OptionSpec } from "./options.js";
import { openUserStore } from "./store-access.js";
import { lintPasses } from "./validate.js";
import { VERSION } from "./version.js";

export const SPIN_OPTIONS: OptionSpec[] = [
  { name: "artifacts", kind: "value", help: "A JSON file of artifacts ({ name: value }) that replace the ones the task starts from" },
  { name: "persist", kind: "flag", help: "Keep the task and its artifacts in a run tagged spin (by default nothing is recorded)" },
];

function readArtifacts(file: string | undefined, cwd: string): Record<string, unknown> | undefined {
  if (file === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path.resolve(cwd, file), "utf8"));
  } catch (err) {
    throw new UsageError(`--artifacts ${file}: cannot read it as JSON (${(err as Error).message})`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new UsageError(`--artifacts ${file} must hold a JSON object of artifacts, e.g. { "alpha": 0.5 }`);
  }
  return parsed as Record<string, unknown>;
}

export async function spinCommand(graph: FlowGraph, args: string[], io: CliIO): Promise<number> {
  const parsed = parseOptions(args, SPIN_OPTIONS, "spin");
  const [target, ...extra] = parsed.positionals;
  if (target === undefined || extra.length)
    throw new UsageError(`spin takes one STEP or RUN/STEP/TASK, got '${parsed.positionals.join(" ")}'`);
  const artifacts = readArtifacts(single(parsed, "artifacts"), io.cwd);
  const persist = parsed.values.has("persist");
  if (!lintPasses(graph, io)) return EXIT.failed;
  const store = openUserStore(io);
  try {
    const out = await runConsole(io);
    const byPath = target.includes("/");
    const outcome = await spinStep({
      store,
      graph,
      step: byPath ? undefined : target,
      from: byPath ? target : undefined,
      artifacts,
      persist,
      console: out,
      onSource: (source) =>
        io.stderr(`steplab ${VERSION} spinning ${graph.name} step ${source.step} on the inputs of ${taskPathspec(source)}\n`),
    });
    const { record } = outcome;
    const set = Object.keys(record.artifacts)
      .filter((name) => outcome.initial[name]?.sha !== record.artifacts[name]!.sha || name in (artifacts ?? {}))
      .sort();
    if (set.length) {
      io.stdout(`Artifacts of ${record.step} (set by this task, or given with --artifacts):\n`);
      for (const name of set) io.stdout(`${artifactLine(outcome.store, name, record.artifacts[name]!)}\n`);
    }
    io.stderr(
      persist
        ? `Kept in run ${runPathspec(record)} (tagged spin): steplab ${path.relative(io.cwd, graph.file) || graph.file} dump ${record.runId}/${record.step}/${record.taskId}\n`
        : "Nothing was recorded (--persist keeps the task in a run tagged spin).\n",
    );
    return outcome.error ? EXIT.failed : EXIT.ok;
  } finally {
    await store.close();
  }
}
