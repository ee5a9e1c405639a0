/**
 * What running any cell needs: its module (setup cells, parameters, the cell's body), the IO that
 * reaches the front end, the sandbox, and the translation of its errors into the user's cells.
 * Step cells (step-cell.ts) run as tasks through the executor; setup and scratch cells
 * (direct-cells.ts) run in the isolate without a task.
 */
import path from "node:path";
import type { ArtifactRef, Store, StoreReader } from "../../store/index.js";
import type { TaskExecutor } from "../executor/index.js";
import { TaskInterruptedError, type TaskIO } from "../sandbox/index.js";
import type { CellBundles } from "./cell-bundles.js";
import type { CellCache } from "./cell-cache.js";
import { buildCellModule, type CellModule } from "./cell-module.js";
import type { CellSandbox } from "./cell-sandbox.js";
import type { CellRegistry, SessionCell } from "./cells.js";
import { displayBundle } from "./display.js";
import { explainCellError } from "./explain.js";
import type { LanguageSupport } from "./language-support.js";
import type { LoadedTask } from "./loaded-task.js";
import type { NotebookRun } from "./notebook-run.js";
import { runFlowFromCell } from "./run-flow.js";
import type { CellSink } from "./types.js";

export interface CellRunnerParts {
  cells: CellRegistry;
  run: NotebookRun;
  store: Store;
  reader: StoreReader;
  /** Runs the cells' tasks: the cell cache's executor, around a local executor. */
  executor: TaskExecutor;
  cache: CellCache;
  sandboxes: CellSandbox;
  bundles: CellBundles;
  language: LanguageSupport;
  /** Where cells' imports and runFlow() files resolve from. */
  cwd: string;
  /** Every cell's memory limit (STEPLAB_CELL_MEMORY_MB). */
  memoryMb: number;
  /** How long a finished cell's timers may keep printing under it. */
  lingerMs: number;
  /** Whose namespace the cells read past runs in (user:NAME). */
  user: string;
  notebookPath?: string;
}

export class CellRunner {
  /** Set by an interrupt; a cell checks it between compiling and running, and between tasks. */
  interrupted = false;
  /** The step that ran last and succeeded. */
  currentStep?: string;
  /** `%load PATHSPEC`: the past task whose inputs scratch cells see, until `%load off`. */
  loaded?: LoadedTask;

  constructor(
    readonly parts: CellRunnerParts,
    private readonly session: { flow: string; parameters: Record<string, ArtifactRef> },
  ) {}

  get flow(): string {
    return this.session.flow;
  }

  get parameters(): Record<string, ArtifactRef> {
    return this.session.parameters;
  }

  /** What a scratch cell sees: the step that ran last, else the last step of the graph that has a successful task. */
  scratchSource(): string | undefined {
    const { run, cells } = this.parts;
    if (this.currentStep && run.successful(this.currentStep)) return this.currentStep;
    return cells
      .graph()
      .steps.map((s) => s.name)
      .filter((name) => run.successful(name))
      .at(-1);
  }

  stopIfInterrupted(what: string): void {
    if (this.interrupted) throw new TaskInterruptedError(what);
  }

  /** The cell's module; `parameters`: the bare names it reads as parameters (default: the notebook's). */
  module(cell: SessionCell, isJoin: boolean, forProcess = false, parameters?: readonly string[]): CellModule {
    const params = new Set(this.parts.cells.parameterNames());
    return buildCellModule({
      setup: this.parts.cells.setupCells(),
      parameters: parameters ? [...parameters] : [...params].filter((p) => p in this.parameters),
      cell: cell.number,
      lineOffset: cell.directives.bodyLine - 1,
      body: cell.directives.body,
      isJoin,
      forProcess,
    });
  }

  io(sink: CellSink, onResult?: (value: unknown) => void): TaskIO {
    return {
      reader: this.parts.reader,
      output: (stream, text) => (stream === "stdout" ? sink.stdout(text) : sink.stderr(text)),
      result: onResult,
      display: (kind, data, options) => sink.display(displayBundle(kind, data), options),
      runFlow: (file, params) => runFlowFromCell(this.parts.store, path.resolve(this.parts.cwd, file), params, sink),
      prompt: async (text, password) => {
        if (!sink.input) throw new Error("This front end cannot ask for input");
        return sink.input(text, password);
      },
    };
  }

  /** The error in the user's terms: their cells' frames as In [N], advice in the cell's form. */
  explain(err: unknown, module: CellModule, cell: SessionCell, step?: string): Error {
    const error = err instanceof Error ? err : new Error(String(err));
    const { cells, language, memoryMb } = this.parts;
    return explainCellError(error, {
      module,
      cell: cell.number,
      step,
      memoryMb,
      label: (n) => cells.label(n),
      ownerOf: (name) => {
        const owner = language.ownerOf(name, cell.number);
        if (!owner) return undefined;
        return {
          label: cells.label(owner.cell),
          ...(owner.step !== undefined ? { step: owner.step } : {}),
          ...(owner.clientExpression !== undefined ? { clientExpression: owner.clientExpression } : {}),
        };
      },
    });
  }
}
