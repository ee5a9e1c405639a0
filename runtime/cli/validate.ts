/** Parse and lint a flow file; lint errors print with file:line and stop the command (exit 1). */
import path from "node:path";
import { readFileSync } from "node:fs";
import { formatLint, lintGraph, parseFlowSource, GraphError, type FlowGraph } from "../graph/index.js";
import { SteplabError } from "../errors.js";

export class InvalidFlowError extends SteplabError {
  constructor(message: string) {
    super("INVALID_FLOW", message);
  }
}

export function loadGraph(file: string, cwd: string): FlowGraph {
  const full = path.resolve(cwd, file);
  let source: string;
  try {
    source = readFileSync(full, "utf8");
  } catch (err) {
    throw new InvalidFlowError(`Cannot read the flow file '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return parseFlowSource(source, full);
  } catch (err) {
    if (err instanceof GraphError) {
      throw new InvalidFlowError(`${path.relative(cwd, err.file) || err.file}:${err.line}: ${err.message}`);
    }
    throw err;
  }
}

/** Lint messages for the graph, "" when it looks good. */
export function lintMessages(graph: FlowGraph, cwd: string): string {
  const problems = lintGraph(graph, readFileSync(graph.file, "utf8"));
  return problems.length ? formatLint(problems, path.relative(cwd, graph.file) || graph.file) : "";
}
