/**
 * runFlow(file, params) from a cell: the same validation and scheduler as `steplab FLOW.ts run`,
 * with its console lines and progress going to the cell's output.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { SteplabError } from "../../errors/index.js";
import { formatLint, lintGraph, parseFlowFile, type ParameterNode } from "../graph/index.js";
import { runFlow, RunConsole } from "../scheduler/index.js";
import type { Store } from "../../store/index.js";
import type { CellSink } from "./types.js";

export class RunFlowError extends SteplabError {
  constructor(message: string) {
    super("RUN_FLOW", message);
  }
}

function parameterValue(p: ParameterNode, params: Record<string, unknown>, dir: string): unknown {
  const given = p.name in params ? params[p.name] : params[p.field];
  if (p.kind === "includefile") {
    const file = given ?? p.default;
    if (typeof file !== "string") return undefined;
    const bytes = readFileSync(path.resolve(dir, file));
    return p.isText === false ? new Uint8Array(bytes) : bytes.toString("utf8");
  }
  if (given !== undefined) return given;
  if (p.default !== undefined) return p.default;
  if (p.required) throw new RunFlowError(`runFlow: parameter '${p.name}' is required: pass { ${p.name}: ... }`);
  return undefined;
}

export async function runFlowFromCell(store: Store, file: string, params: Record<string, unknown>, sink: CellSink): Promise<string> {
  const graph = parseFlowFile(file);
  const problems = lintGraph(graph, readFileSync(file, "utf8"));
  if (problems.length) throw new RunFlowError(`runFlow: ${path.basename(file)} is not a valid flow:\n${formatLint(problems, file)}`);
  const known = new Set(graph.parameters.flatMap((p) => [p.name, p.field]));
  const unknown = Object.keys(params).filter((k) => !known.has(k));
  if (unknown.length) {
    throw new RunFlowError(
      `runFlow: ${graph.name} has no parameter ${unknown.map((u) => `'${u}'`).join(", ")}. Parameters: ${graph.parameters.map((p) => p.name).join(", ") || "(none)"}`,
    );
  }
  const values: Record<string, unknown> = {};
  for (const p of graph.parameters) {
    const v = parameterValue(p, params, path.dirname(file));
    if (v !== undefined) values[p.field] = v;
  }
  const startedAt = Date.now();
  const label = `${graph.name}`;
  const outcome = await runFlow({
    store,
    graph,
    parameters: values,
    console: new RunConsole({ stdout: (t) => sink.stdout(t), stderr: (t) => sink.stderr(t), colour: false }),
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
