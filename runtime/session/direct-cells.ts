/**
 * Setup and scratch cells run in the session's isolate without a task: a setup cell's module scope
 * runs once so that its errors (a missing package, a throw at top level) show now; a scratch cell
 * (`//% skip`, or any cell under `%scratch on`) reads the last step's artifacts (after `%load`,
 * that past task's inputs) and creates nothing.
 */
import type { TaskRequest } from "../sandbox/index.js";
import type { CellRunner } from "./cell-runner.js";
import { CELL_METHOD } from "./cell-module.js";
import type { SessionCell } from "./cells.js";
import { valueBundle } from "./display.js";
import { loadedRequest } from "./loaded-task.js";
import type { CellSink, ExecuteOutcome } from "./types.js";

export async function runSetupCell(runner: CellRunner, cell: SessionCell, sink: CellSink): Promise<ExecuteOutcome> {
  const module = runner.module(cell, false);
  const sandbox = runner.parts.sandboxes.loadBundle(await runner.parts.bundles.forIsolate(module));
  try {
    runner.stopIfInterrupted(runner.parts.cells.label(cell));
    await sandbox.runTask(
      { flow: runner.flow, step: "__setup", pathspec: "setup", initial: {}, parameters: {}, steps: ["__setup"], method: CELL_METHOD },
      runner.io(sink),
      { memoryMb: runner.parts.memoryMb },
    );
  } catch (err) {
    throw runner.explain(err, module, cell);
  }
  runner.parts.language.setSetup(
    runner.parts.cells
      .setupCells()
      .map((s) => s.code)
      .join("\n"),
  );
  return { status: "ok" };
}

/** The request of a scratch cell: it sees the last step's artifacts and the parameters (or, after %load, that task's inputs). */
function scratchRequest(runner: CellRunner): TaskRequest {
  if (runner.loaded) return { ...loadedRequest(runner.loaded), user: runner.parts.user };
  const source = runner.scratchSource();
  const last = source ? runner.parts.run.successful(source)?.at(-1) : undefined;
  const artifacts = { ...(last?.artifacts ?? {}), ...runner.parameters };
  return {
    flow: runner.flow,
    step: "__scratch",
    pathspec: "scratch",
    initial: Object.fromEntries(Object.entries(artifacts).map(([n, r]) => [n, r.sha])),
    parameters: Object.fromEntries(Object.keys(runner.parameters).map((p) => [p, p])),
    steps: ["__scratch"],
    method: CELL_METHOD,
    user: runner.parts.user,
  };
}

export async function runScratchCell(runner: CellRunner, cell: SessionCell, sink: CellSink): Promise<ExecuteOutcome> {
  const { loaded } = runner;
  const module = loaded ? runner.module(cell, loaded.isJoin, false, loaded.parameters) : runner.module(cell, false);
  const sandbox = runner.parts.sandboxes.loadBundle(await runner.parts.bundles.forIsolate(module));
  let value: unknown;
  let hasValue = false;
  try {
    runner.stopIfInterrupted(runner.parts.cells.label(cell));
    await sandbox.runTask(
      scratchRequest(runner),
      runner.io(sink, (v) => {
        value = v;
        hasValue = true;
      }),
      { memoryMb: runner.parts.memoryMb, lingerMs: runner.parts.lingerMs },
    );
  } catch (err) {
    throw runner.explain(err, module, cell);
  }
  return { status: "ok", result: hasValue ? valueBundle(value) : undefined };
}
