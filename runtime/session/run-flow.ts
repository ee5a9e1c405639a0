/**
 * runFlow(file, params) from a cell: the same validation and scheduler as `steplab FLOW.ts run`,
 * with its console lines and progress going to the cell's output.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { SteplabError, UsageError } from "../../errors/index.js";
import { formatLint, lintGraph, parseFlowFile } from "../graph/index.js";
import { resolveParameters } from "../parameters/index.js";
import { runFlow, RunConsole } from "../scheduler/index.js";
import type { Store } from "../../store/index.js";
import type { CellSink } from "./types.js";

export class RunFlowError extends SteplabError {
  constructor(message: string) {
    super("RUN_FLOW", message);
  }
}

export async function runFlowFromCell(store: Store, file: string, params: Record<string, unknown>, sink: CellSink): Promise<string> {
  const graph = parseFlowFile(file);
  const problems = lintGraph(graph, readFileSync(file, "utf8"));
  if (problems.length) throw new RunFlowError(`runFlow: ${path.basename(file)} is not a valid flow:\n${formatLint(problems, file)}`);
  let values: Record<string, unknown>;
  try {
    // The same resolution as `steplab FLOW.ts run` (types, environment, computed defaults);
    // IncludeFile paths are relative to the flow file.
    ({ values } = await resolveParameters(graph, {
      given: params,
      env: process.env,
      cwd: path.dirname(file),
      storeRoot: store.root,
      output: (stream, text) => (stream === "stdout" ? sink.stdout(text) : sink.stderr(text)),
    }));
  } catch (err) {
    if (err instanceof UsageError) throw new RunFlowError(`runFlow: ${err.message}`);
    throw err;
  }
  const startedAt = Date.now();
  const label = `${graph.name}`;
  const outcome = await runFlow({
    store,
    graph,
    parameters: values,
    console: new RunConsole({ stdout: (t) => sink.stdout(t), stderr: (t) => sink.stderr(t) }),
    onProgress: ({ done, total, runId }) => sink.progress?.({ label: `${label}/${runId}`, done, total, startedAt, finished: false }),
  });
  sink.progress?.({ label: `${label}/${outcome.runId}`, done: 1, total: 1, startedAt, finished: true });
  if (outcome.status !== "succeeded") {
    throw new RunFlowError(
      `runFlow: ${graph.name}/${outcome.runId} failed at step ${outcome.failedStep}; see its logs with Task(...).stderr`,
    );
  }
  return `${graph.name}/${outcome.runId}`;
}
