/**
 * `%rerun`: every step that is not up to date (stale, failed, not run yet), parents first, each
 * through its own cell — reusing the tasks whose code and inputs are unchanged — and what it will
 * do with each, for `%stale`.
 */
import type { NotebookGraph } from "../../notebooks/index.js";
import type { CellRunner } from "./cell-runner.js";
import { cellError } from "../../errors/index.js";
import { rerunVerdicts, type RerunVerdict } from "./reuse-plan.js";
import { runStepCell } from "./step-cell.js";
import type { CellSink, ExecuteOutcome } from "./types.js";

export interface RerunResult {
  /** The steps that ran or were reused, in order. */
  done: string[];
  /** Those of them whose every task was reused. */
  reused: string[];
  error?: ExecuteOutcome["error"];
}

export async function rerunSteps(runner: CellRunner, sink: CellSink): Promise<RerunResult> {
  const { cells, run } = runner.parts;
  const result: RerunResult = { done: [], reused: [] };
  for (const name of parentsFirst(cells.graph())) {
    if (run.freshness(cells.graph()).get(name) === "fresh") continue;
    const cell = cells.stepCell(name)!;
    sink.stdout(`Re-running step ${name} (${cells.label(cell)})\n`);
    try {
      await runStepCell(runner, cell, sink);
    } catch (err) {
      return { ...result, error: cellError(err) };
    }
    result.done.push(name);
    if (run.successful(name)?.every((t) => t.reusedFrom !== undefined)) result.reused.push(name);
  }
  return result;
}

/** What %rerun would do with each step that is not up to date. */
export function planRerun(runner: CellRunner): Promise<Map<string, RerunVerdict>> {
  const graph = runner.parts.cells.graph();
  const fresh = runner.parts.run.freshness(graph);
  return rerunVerdicts(
    runner,
    parentsFirst(graph).filter((name) => fresh.get(name) !== "fresh"),
  );
}

/** Step names with every parent before its children. */
function parentsFirst(graph: NotebookGraph): string[] {
  const byName = new Map(graph.steps.map((s) => [s.name, s]));
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const p of byName.get(name)?.parents ?? []) visit(p);
    order.push(name);
  };
  for (const s of graph.steps) visit(s.name);
  return order;
}
