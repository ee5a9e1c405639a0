/**
 * `run` and `resume`: validate the graph, resolve parameters, then hand the flow to the scheduler.
 */
import {
  DEFAULT_MAX_NUM_SPLITS,
  DEFAULT_MAX_WORKERS,
  checkResumeStep,
  resolveResume,
  runFlow,
  type RunFlowOptions,
} from "../runtime/scheduler/index.js";
import type { Store } from "../store/index.js";
import { UsageError } from "../errors/index.js";
import type { FlowGraph } from "../runtime/graph/index.js";
import { EXIT, type CliIO } from "./io.js";
import { runConsole } from "./run-console.js";
import { integerOption, parseOptions, single, type OptionSpec } from "./options.js";
import { commandLineParameters, parameterOptions } from "./parameters.js";
import { openUserStore } from "./store-access.js";
import { REMOTE_RUN_OPTIONS, remoteRun } from "./remote-run.js";
import { CACHE_OPTION, cacheMode } from "./cache-option.js";
import { stopOnSignals } from "./stop-signals.js";
import { lintPasses } from "./validate.js";
import { VERSION } from "./version.js";
import { currentUsername } from "../runtime/support/index.js";

export const RUN_OPTIONS: OptionSpec[] = [
  { name: "max-workers", kind: "value", help: `Run at most this many tasks at once (default ${DEFAULT_MAX_WORKERS})` },
  { name: "max-num-splits", kind: "value", help: `Fail a foreach wider than this (default ${DEFAULT_MAX_NUM_SPLITS})` },
  { name: "tag", kind: "value", repeatable: true, help: "Tag the run (repeatable)" },
  CACHE_OPTION,
];

export const RESUME_OPTIONS: OptionSpec[] = [
  { name: "origin-run-id", kind: "value", help: "The run to resume (default: the latest run of this flow)" },
  ...RUN_OPTIONS,
];

function header(graph: FlowGraph, io: CliIO): boolean {
  io.stderr(`steplab ${VERSION} executing ${graph.name} for user:${currentUsername(io.env)}\n`);
  io.stderr("Validating your flow...\n");
  if (!lintPasses(graph, io)) return false;
  io.stderr("    The graph looks good!\n");
  return true;
}

function limits(parsed: ReturnType<typeof parseOptions>, io: CliIO) {
  return {
    maxWorkers: integerOption(single(parsed, "max-workers") ?? io.env.STEPLAB_RUN_MAX_WORKERS, "max-workers", DEFAULT_MAX_WORKERS),
    maxNumSplits: integerOption(
      single(parsed, "max-num-splits") ?? io.env.STEPLAB_RUN_MAX_NUM_SPLITS,
      "max-num-splits",
      DEFAULT_MAX_NUM_SPLITS,
    ),
    tags: parsed.values.get("tag") ?? [],
    cache: cacheMode(parsed, io),
  };
}

type RunSettings = Pick<RunFlowOptions, "maxNumSplits" | "tags" | "cache"> &
  Partial<Pick<RunFlowOptions, "parameters">> & { maxWorkers: number };

/**
 * Runs the flow on the datastore (or the queue and S3 + PostgreSQL with --with queue), stopping
 * on signals; `plan` reads what a resume needs from the store first. The command's exit code.
 */
async function execute(
  graph: FlowGraph,
  parsed: ReturnType<typeof parseOptions>,
  io: CliIO,
  settings: RunSettings,
  plan?: (store: Store) => Pick<RunFlowOptions, "parameters" | "resume">,
): Promise<number> {
  const remote = await remoteRun(parsed, io, settings.maxWorkers, graph);
  const store = remote?.store ?? openUserStore(io);
  const stop = stopOnSignals(io);
  try {
    const outcome = await runFlow({
      store,
      graph,
      parameters: {},
      ...settings,
      ...plan?.(store),
      console: await runConsole(io),
      executor: remote?.executor,
      signal: stop.signal,
    });
    return outcome.status === "succeeded" ? EXIT.ok : (stop.exitCode() ?? EXIT.failed);
  } finally {
    stop.dispose();
    await (remote ? remote.close() : store.close());
  }
}

export async function runCommand(graph: FlowGraph, args: string[], io: CliIO): Promise<number> {
  const parsed = parseOptions(args, [...parameterOptions(graph.parameters), ...RUN_OPTIONS, ...REMOTE_RUN_OPTIONS], "run");
  if (parsed.positionals.length) throw new UsageError(`run takes no arguments, got '${parsed.positionals.join(" ")}'`);
  const { values, included } = await commandLineParameters(graph, parsed, io);
  const { maxWorkers, maxNumSplits, tags, cache } = limits(parsed, io);
  if (!header(graph, io)) return EXIT.failed;
  for (const f of included) io.stderr(`Including file ${f.file} of ${f.bytes} bytes\n`);
  // --with queue / --datastore s3: tasks on workers, data in S3 + PostgreSQL.
  return execute(graph, parsed, io, { parameters: values, maxWorkers, maxNumSplits, tags, cache });
}

export async function resumeCommand(graph: FlowGraph, args: string[], io: CliIO): Promise<number> {
  // Options are matched with - and _ alike (see parseOptions), so a parameter is too.
  const optionName = (arg: string) => arg.split("=")[0]!.replace(/_/g, "-");
  const paramNames = new Set(graph.parameters.map((p) => optionName(`--${p.name}`)));
  const given = args.find((a) => paramNames.has(optionName(a)));
  if (given) {
    throw new UsageError(
      `Parameters cannot be changed on resume (got ${given.split("=")[0]}): a resumed run keeps its origin's parameters. ` +
        `Start a new run to change them.`,
    );
  }
  const parsed = parseOptions(args, [...RESUME_OPTIONS, ...REMOTE_RUN_OPTIONS], "resume");
  const { maxWorkers, maxNumSplits, tags, cache } = limits(parsed, io);
  if (parsed.positionals.length > 1) throw new UsageError(`resume takes at most one step, got '${parsed.positionals.join(" ")}'`);
  const request = { step: parsed.positionals[0], originRunId: single(parsed, "origin-run-id") };
  checkResumeStep(graph, request.step);
  if (!header(graph, io)) return EXIT.failed;
  return execute(graph, parsed, io, { maxWorkers, maxNumSplits, tags, cache }, (store) => {
    const { plan, parameters } = resolveResume(store, graph, request);
    io.stderr(`Resuming ${graph.name}/${plan.originRunId} from step ${plan.fromStep}\n`);
    return { parameters, resume: plan };
  });
}
