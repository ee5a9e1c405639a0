/**
 * A flow's parameters on the command line: each is an option of `run` (and of the start step's
 * `step` command); the values are decided by runtime/parameters, the one place that does so.
 */
import { resolveStoreRoot } from "../store/index.js";
import type { FlowGraph, ParameterNode } from "../runtime/graph/index.js";
import { resolveParameters, type ResolvedParameters } from "../runtime/parameters/index.js";
import type { CliIO } from "./io.js";
import type { OptionSpec, ParsedOptions } from "./options.js";

export function parameterOptions(parameters: ParameterNode[]): OptionSpec[] {
  return parameters.map((p) => ({
    name: p.name,
    kind: p.type === "Boolean" ? "boolean" : "value",
    help: p.help,
  }));
}

/** Values by artifact (field) name from the options given, the environment and the defaults. */
export function commandLineParameters(graph: FlowGraph, parsed: ParsedOptions, io: CliIO): Promise<ResolvedParameters> {
  const given: Record<string, string> = {};
  for (const p of graph.parameters) {
    const value = parsed.values.get(p.name)?.[0];
    if (value !== undefined) given[p.name] = value;
  }
  return resolveParameters(graph, {
    given,
    env: io.env,
    cwd: io.cwd,
    storeRoot: resolveStoreRoot(io.cwd, io.env),
    // What the flow prints while it loads (computed defaults): beside the run's header.
    output: (_stream, text) => io.stderr(text),
  });
}
