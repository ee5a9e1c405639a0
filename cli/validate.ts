/**
 * Parse and lint a flow file; lint errors print with file:line and stop the command (exit 1).
 * The parser needs the TypeScript compiler (over a second to load on a busy machine), so a file's
 * graph and lint are cached by content: an unchanged flow file starts without loading TypeScript.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FlowGraph, LintProblem } from "../runtime/graph/index.js";
import { SteplabError } from "../errors/index.js";
import type { CliIO } from "./io.js";
import { VERSION } from "./version.js";
import { cacheDir } from "../runtime/support/index.js";

export class InvalidFlowError extends SteplabError {
  constructor(message: string) {
    super("INVALID_FLOW", message);
  }
}

interface Checked {
  graph: FlowGraph;
  problems: LintProblem[];
}

const problemsOf = new WeakMap<FlowGraph, LintProblem[]>();

/** Changes whenever the parser or lint is rebuilt, so a cached graph never outlives its code. */
function parserFingerprint(): string {
  const graphDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "runtime", "graph");
  const stamps = readdirSync(graphDir)
    .filter((f) => /\.[jt]s$/.test(f))
    .sort()
    .map((f) => `${f}:${statSync(path.join(graphDir, f)).mtimeMs}`);
  return `${VERSION}|${stamps.join("|")}`;
}

function readCache(file: string): Checked | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Checked;
  } catch {
    return undefined;
  }
}

function writeCache(file: string, checked: Checked): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(checked));
    renameSync(tmp, file); // atomic: concurrent runs never read half a file
  } catch {
    // A read-only install just parses every time.
  }
}

async function check(source: string, full: string, cwd: string): Promise<Checked> {
  const { parseFlowSource, lintGraph, GraphError } = await import("../runtime/graph/index.js");
  try {
    const graph = parseFlowSource(source, full);
    return { graph, problems: lintGraph(graph, source) };
  } catch (err) {
    if (err instanceof GraphError) {
      throw new InvalidFlowError(`${path.relative(cwd, err.file) || err.file}:${err.line}: ${err.message}`);
    }
    throw err;
  }
}

export async function loadGraph(file: string, cwd: string): Promise<FlowGraph> {
  const full = path.resolve(cwd, file);
  let source: string;
  try {
    source = readFileSync(full, "utf8");
  } catch (err) {
    throw new InvalidFlowError(`Cannot read the flow file '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const key = createHash("sha256").update(`${parserFingerprint()}\0${full}\0${source}`).digest("hex");
  const cached = path.join(cacheDir("graphs"), `${key}.json`);
  let checked = readCache(cached);
  if (!checked) {
    checked = await check(source, full, cwd);
    writeCache(cached, checked);
  }
  problemsOf.set(checked.graph, checked.problems);
  return checked.graph;
}

/** Lint messages for a graph from loadGraph, "" when it looks good. */
/** Prints the graph's lint problems, if any, to stderr; whether there were none. */
export function lintPasses(graph: FlowGraph, io: Pick<CliIO, "cwd" | "stderr">): boolean {
  const lint = lintMessages(graph, io.cwd);
  if (lint) io.stderr(`${lint}\n`);
  return lint === "";
}

function lintMessages(graph: FlowGraph, cwd: string): string {
  const problems = problemsOf.get(graph) ?? [];
  const shown = path.relative(cwd, graph.file) || graph.file;
  return problems.map((p) => `${shown}:${p.line}: ${p.message}`).join("\n");
}
