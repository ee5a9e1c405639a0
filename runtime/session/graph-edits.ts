/**
 * Taking cells out of a session's graph: `%rm N|STEP` (and cells deleted in JupyterLab) and
 * `%reset`. Tasks already committed stay in the store; the run's status follows the new graph.
 */
import { UsageError } from "../../errors/index.js";
import type { CellRunner } from "./cell-runner.js";
import type { CellRegistry, SessionCell } from "./cells.js";
import type { LanguageSupport } from "./language-support.js";
import type { NotebookRun } from "./notebook-run.js";

export interface GraphParts {
  cells: CellRegistry;
  run: NotebookRun;
  language: LanguageSupport;
  runner: CellRunner;
}

/** The cells `refs` name: `3` is the cell run as In [3] (or the 3rd cell run), a word is a step name. */
function resolve(cells: CellRegistry, refs: string[]): SessionCell[] {
  return refs.map((ref) => {
    const n = /^(?:In\s*\[)?(\d+)\]?$/.exec(ref)?.[1];
    const cell = n !== undefined ? cells.byUserNumber(Number(n)) : cells.stepCell(ref);
    if (cell) return cell;
    const steps = cells.graph().steps.map((s) => `${s.name} (${cells.label(s.cell)})`);
    throw new UsageError(
      `%rm: no cell ${n !== undefined ? `In [${n}]` : `with step ${ref}`} in this session's graph. ` +
        `Steps: ${steps.join(", ") || "none"}`,
    );
  });
}

export async function removeCells(parts: GraphParts, refs: string[] | SessionCell[]): Promise<string> {
  const { cells, run, language, runner } = parts;
  const targets = typeof refs[0] === "string" ? resolve(cells, refs as string[]) : (refs as SessionCell[]);
  const said: string[] = [];
  for (const cell of targets) {
    if (cell.directives.kind === "parameters") {
      throw new UsageError(`%rm: ${cells.label(cell)} is a parameters cell: edit its values and run it again instead`);
    }
    said.push(cells.describe(cell));
    const step = cells.stepOf(cell);
    cells.remove(cell);
    language.forgetLocals(cell.number);
    if (step) {
      run.forgetStep(step.name);
      if (runner.currentStep === step.name) runner.currentStep = undefined;
    }
  }
  const graph = cells.graph();
  await run.sync(graph);
  const fresh = run.freshness(graph);
  const stale = graph.steps.filter((s) => fresh.get(s.name) === "stale").map((s) => s.name);
  const steps = graph.steps.map((s) => s.name);
  return (
    `Removed ${said.join(", ")} from the graph. Steps: ${steps.join(", ") || "none"}.` +
    (stale.length ? ` Stale now: ${stale.join(", ")} (%rerun runs them).` : "")
  );
}

/** Empties the graph (setup and parameters cells stay); the next step cell starts a new run. */
export async function resetGraph(parts: GraphParts): Promise<string> {
  const { cells, run, language, runner } = parts;
  const finished = await run.finish(cells.graph());
  const dropped = cells.retain((c) => c.directives.kind === "setup" || c.directives.kind === "parameters" || c.directives.kind === "magic");
  for (const c of dropped) language.forgetLocals(c.number);
  runner.currentStep = undefined;
  const kept = finished ? ` Run ${finished.flow}/${finished.runId} stays in the store (${finished.status}).` : "";
  return `The graph is empty: the next step cell starts a new run.${kept}`;
}
