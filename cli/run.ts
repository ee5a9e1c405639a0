import { userInfo } from "node:os";
/**
 * `run` and `resume`: validate the graph, resolve parameters, then hand the flow to the scheduler.
 */
import {
  DEFAULT_MAX_NUM_SPLITS,
  DEFAULT_MAX_WORKERS,
  checkResumeStep,
  resolveResume,
  runFlow,
  RunConsole,
} from "../runtime/scheduler/index.js";
import { UsageError } from "../errors/index.js";
import type { FlowGraph } from "../runtime/graph/index.js";
import { EXIT, type CliIO } from "./io.js";
import { integerOption, parseOptions, single, type OptionSpec } from "./options.js";
import { parameterOptions, resolveParameters } from "./parameters.js";
import { openUserStore } from "./store-access.js";
import { REMOTE_RUN_OPTIONS, remoteRun } from "./remote-run.js";
import { CACHE_OPTION, cacheMode } from "./cache-option.js";
import { stopOnSignals } from "./stop-signals.js";
import { lintMessages } from "./validate.js";
import { VERSION } from "./version.js";

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
  io.stderr(`steplab ${VERSION} executing ${graph.name} for user:${io.env.USER ?? userInfo().username}\n`);
  io.stderr("Validating your flow...\n");
  const lint = lintMessages(graph, io.cwd);
  if (lint) {
    io.stderr(`${lint}\n`);
    return false;
  }
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

function runConsole(io: CliIO): RunConsole {
  return new RunConsole({ stdout: io.stdout, stderr: io.stderr, colour: io.isTTY && io.env.NO_COLOR === undefined });
}

export async function runCommand(graph: FlowGraph, args: string[], io: CliIO): Promise<number> {
  const parsed = parseOptions(args, [...parameterOptions(graph.parameters), ...RUN_OPTIONS, ...REMOTE_RUN_OPTIONS], "run");
  if (parsed.positionals.length) throw new UsageError(`run takes no arguments, got '${parsed.positionals.join(" ")}'`);
  const { values, included } = resolveParameters(graph.parameters, parsed, io.env, io.cwd);
  const { maxWorkers, maxNumSplits, tags, cache } = limits(parsed, io);
  if (!header(graph, io)) return EXIT.failed;
  for (const f of included) io.stderr(`Including file ${f.file} of ${f.bytes} bytes\n`);
  // --with queue / --datastore s3: tasks on workers, data in S3 + PostgreSQL.
  const remote = await remoteRun(parsed, io, maxWorkers, graph);
  const store = remote?.store ?? openUserStore(io);
  const stop = stopOnSignals(io);
  try {
    const outcome = await runFlow({
      store,
      graph,
      parameters: values,
      console: runConsole(io),
      maxWorkers,
      maxNumSplits,
      tags,
      executor: remote?.executor,
      cache,
      signal: stop.signal,
    });
    return outcome.status === "succeeded" ? EXIT.ok : (stop.exitCode() ?? EXIT.failed);
  } finally {
    stop.dispose();
    await (remote ? remote.close() : store.close());
  }
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
  const remote = await remoteRun(parsed, io, maxWorkers, graph);
  const store = remote?.store ?? openUserStore(io);
  const stop = stopOnSignals(io);
  try {
    const { plan, parameters } = resolveResume(store, graph, request);
    io.stderr(`Resuming ${graph.name}/${plan.originRunId} from step ${plan.fromStep}\n`);
    const outcome = await runFlow({
      store,
      graph,
      parameters,
      console: runConsole(io),
      maxWorkers,
      maxNumSplits,
      tags,
      resume: plan,
      executor: remote?.executor,
      cache,
      signal: stop.signal,
    });
    return outcome.status === "succeeded" ? EXIT.ok : (stop.exitCode() ?? EXIT.failed);
  } finally {
    stop.dispose();
    await (remote ? remote.close() : store.close());
  }
}
