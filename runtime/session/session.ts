/**
 * A notebook session: the cells a front end runs, the graph they declare, and the run (tagged
 * `notebook`) their tasks go into. Executing a cell: parse its directives -> remember it ->
 * run it by kind (a step as tasks, setup and scratch cells in the isolate, a magic) -> keep the
 * run's status honest. No value lives between cells except through the store and setup cells.
 */
import path from "node:path";
import { openStore, resolveStoreRoot, storeReader, type ArtifactRef, type Store, type StoreReader } from "../../store/index.js";
import { parseCell, parseParametersCell, underScratch, type CellDirectives, type NotebookGraph } from "../../notebooks/index.js";
import { LocalExecutor, storeValues } from "../executor/index.js";
import { currentUsername } from "../support/index.js";
import { CellBundles } from "./cell-bundles.js";
import { CellCache } from "./cell-cache.js";
import { CellRunner } from "./cell-runner.js";
import { CellSandbox } from "./cell-sandbox.js";
import { CellRegistry, type SessionCell } from "./cells.js";
import { runScratchCell, runSetupCell } from "./direct-cells.js";
import { NotebookGraphProblem } from "./errors.js";
import { cellError } from "../../errors/index.js";
import { exportFlow, notebookCell } from "./export.js";
import { sessionFlowName } from "./flow-name.js";
import { InputHistory } from "./input-history.js";
import { LanguageSupport } from "./language-support.js";
import { loadTask, type LoadedTask } from "./loaded-task.js";
import { type MagicContext, type NotUpToDate, runMagic } from "./magics.js";
import { NotebookRun } from "./notebook-run.js";
import { removeCells, resetGraph } from "./graph-edits.js";
import { planRerun, rerunSteps, type RerunResult } from "./rerun.js";
import type { RerunVerdict } from "./reuse-plan.js";
import { runStepCell } from "./step-cell.js";
import type {
  CellSink,
  CompletionResult,
  ExecuteOptions,
  ExecuteOutcome,
  InspectResult,
  IsCompleteResult,
  NotebookSession,
  SessionState,
} from "./types.js";

export interface SessionOptions {
  storeRoot?: string;
  notebookPath?: string;
  flowName?: string;
  /** Where cells' imports and runFlow() files resolve from; default: the notebook's folder, else cwd. */
  cwd?: string;
  /** Memory limit of each cell (default STEPLAB_CELL_MEMORY_MB, else 1024). */
  memoryMb?: number;
  env?: NodeJS.ProcessEnv;
  /** History entries are tagged with this (a kernel session id, "repl"). */
  historySession?: string;
}

export type { SessionCell };

export const DEFAULT_CELL_MEMORY_MB = 1024;
/** How long a finished cell's timers may keep printing under it. */
const CELL_LINGER_MS = 60_000;

export class Session implements NotebookSession, MagicContext {
  readonly store: Store;
  readonly #reader: StoreReader;
  readonly #cells = new CellRegistry();
  readonly #run: NotebookRun;
  readonly #cache: CellCache;
  readonly #runner: CellRunner;
  /** Input history shared by every session on the store: this session records what it executes. */
  readonly history: InputHistory;
  readonly #language = new LanguageSupport();
  readonly #cwd: string;
  #flowName: string;
  #parameterRefs: Record<string, ArtifactRef> = {};
  /** `%scratch on`: cells without step directives are scratch. */
  scratch = false;

  constructor(private readonly opts: SessionOptions = {}) {
    const env = opts.env ?? process.env;
    this.store = openStore(opts.storeRoot ?? resolveStoreRoot(opts.cwd ?? process.cwd(), env));
    this.#reader = storeReader(this.store);
    this.#flowName = sessionFlowName({ ...opts, env });
    this.#cwd = opts.cwd ?? (opts.notebookPath ? path.dirname(path.resolve(opts.notebookPath)) : process.cwd());
    const memoryMb = opts.memoryMb ?? (Number(env.STEPLAB_CELL_MEMORY_MB) || DEFAULT_CELL_MEMORY_MB);
    const sandboxes = new CellSandbox(this.store.root);
    const local = new LocalExecutor({
      store: this.store,
      reader: this.#reader,
      sandboxes,
      defaults: { memoryMb, lingerMs: CELL_LINGER_MS },
      recordRunning: false,
    });
    this.#cache = new CellCache(this.store, local);
    const user = currentUsername(env);
    this.#run = new NotebookRun(this.store, user);
    this.history = new InputHistory(this.store, {
      session: opts.historySession ?? "notebook",
      onError: (err) => process.stderr.write(`steplab: could not save input history: ${(err as Error).message}\n`),
    });
    const session = this;
    this.#runner = new CellRunner(
      {
        cells: this.#cells,
        run: this.#run,
        store: this.store,
        reader: this.#reader,
        executor: this.#cache.executor,
        cache: this.#cache,
        sandboxes,
        bundles: new CellBundles(this.#cwd),
        language: this.#language,
        cwd: this.#cwd,
        memoryMb,
        lingerMs: CELL_LINGER_MS,
        user,
        notebookPath: opts.notebookPath ? path.resolve(opts.notebookPath) : undefined,
      },
      {
        get flow() {
          return session.#flowName;
        },
        get parameters() {
          return session.#parameterRefs;
        },
      },
    );
  }

  get state(): SessionState {
    const graph = this.graph();
    const fresh = this.#run.freshness(graph);
    return {
      flow: this.#flowName,
      runId: this.#run.record?.runId,
      currentStep: this.#runner.currentStep,
      stale: graph.steps.filter((s) => fresh.get(s.name) === "stale").map((s) => s.name),
      ...(this.#runner.loaded ? { loaded: this.#runner.loaded.pathspec } : {}),
      ...(this.#cache.on ? {} : { cacheOff: true }),
      steps: graph.steps.map((s) => {
        const cell = this.#cells.byNumber(s.cell);
        return {
          name: s.name,
          parents: s.parents,
          foreach: s.iterates,
          taskId: this.#run
            .newest(s.name)
            ?.tasks.map((t) => t.taskId)
            .join(","),
          stale: fresh.get(s.name) === "stale",
          ...(fresh.get(s.name) === "failed" ? { failed: true } : {}),
          ...(cell ? { cell: this.#cells.label(cell) } : {}),
        };
      }),
    };
  }

  cells(): { source: string; tags: string[] }[] {
    return this.#cells.all.map(notebookCell);
  }

  /** The graph the cells declare. */
  graph(): NotebookGraph {
    return this.#cells.graph();
  }

  // ---- executing cells ------------------------------------------------------------------

  async execute(code: string, opts: ExecuteOptions): Promise<ExecuteOutcome> {
    this.#runner.interrupted = false;
    try {
      if (opts.deletedCells?.length) await this.forgetDeleted(opts.deletedCells);
      if (code.trim() === "") return { status: "ok" };
      // While a task is loaded, a cell without step directives is scratch: it sees that task's inputs.
      const directives = underScratch(parseCell(code, opts.tags ?? []), this.scratch || this.#runner.loaded !== undefined);
      if (!opts.silent && opts.storeHistory !== false) this.history.add(code, opts.executionCount);
      if (directives.kind === "magic") {
        if (directives.magic!.name === "flow") this.remember(code, opts, directives);
        return await runMagic(this, directives.magic!, opts);
      }
      // user_expressions: read-only expressions, not cells of the notebook.
      if (opts.silent && directives.kind === "skip") {
        return await runScratchCell(this.#runner, { number: 0, source: code, tags: [], directives, counts: [] }, opts.sink);
      }
      const { cell, isNew } = this.remember(code, opts, directives);
      try {
        return await this.runCell(cell, opts.sink);
      } catch (err) {
        // A new cell that cannot be a step (a graph problem, an import) is not added to the graph,
        // nor is a new unnamed cell that failed: the next cell follows the last one that worked
        // (run it again, fixed, to add it). A named step stays, failed: its children wait for it.
        if (isNew && (err instanceof NotebookGraphProblem || cell.directives.step === undefined)) {
          await removeCells(this.graphParts(), [cell]);
        }
        throw err;
      }
    } catch (err) {
      return { status: "error", error: cellError(err) };
    }
  }

  private remember(source: string, opts: ExecuteOptions, directives: CellDirectives) {
    return this.#cells.remember({ source, tags: opts.tags ?? [], directives, cellId: opts.cellId, executionCount: opts.executionCount });
  }

  private runCell(cell: SessionCell, sink: CellSink): Promise<ExecuteOutcome> {
    switch (cell.directives.kind) {
      case "setup":
        return runSetupCell(this.#runner, cell, sink);
      case "parameters":
        return this.runParameters(cell);
      case "skip":
        return runScratchCell(this.#runner, cell, sink);
      default:
        return runStepCell(this.#runner, cell, sink);
    }
  }

  private async runParameters(cell: SessionCell): Promise<ExecuteOutcome> {
    const specs = parseParametersCell(cell.directives.body);
    const stored = await storeValues(this.store, Object.fromEntries(specs.map((p) => [p.name, p.default])));
    this.#parameterRefs = { ...this.#parameterRefs, ...stored };
    // Every step that ran saw the old values: they are stale now.
    await this.#run.setParameters(this.#parameterRefs);
    await this.#run.sync(this.graph());
    return { status: "ok", result: { "text/plain": specs.map((p) => `${p.name} = ${p.source}`).join("\n") } };
  }

  /** JupyterLab tells the kernel which cells were deleted: their steps leave the graph. */
  private async forgetDeleted(ids: string[]): Promise<void> {
    const gone = ids.map((id) => this.#cells.byId(id)).filter((c): c is SessionCell => c !== undefined);
    if (gone.length) await removeCells(this.graphParts(), gone);
  }

  private graphParts() {
    return { cells: this.#cells, run: this.#run, language: this.#language, runner: this.#runner };
  }

  // ---- what magics use ------------------------------------------------------------------

  async setFlowName(name: string): Promise<string> {
    if (name === this.#flowName) return `Flow ${name}.`;
    const hadSteps = this.graph().steps.length > 0;
    if (hadSteps || this.#run.record) await resetGraph(this.graphParts());
    this.#flowName = name;
    return `Flow ${name}: ${hadSteps ? "a new graph; " : ""}the next step cell starts a new run of it.`;
  }

  get cache(): boolean {
    return this.#cache.on;
  }

  set cache(on: boolean) {
    this.#cache.on = on;
  }

  get loadedTask(): LoadedTask | undefined {
    return this.#runner.loaded;
  }

  loadTask(pathspec: string): LoadedTask {
    // A task of this notebook's own runs: its foreach list is named by the cell, not by its parent's record.
    const foreachOf = (flow: string, step: string) =>
      flow === this.#flowName ? this.graph().steps.find((s) => s.name === step)?.iterates : undefined;
    this.#runner.loaded = loadTask(this.store, this.#reader, pathspec, this.#flowName, foreachOf);
    return this.#runner.loaded;
  }

  unloadTask(): void {
    this.#runner.loaded = undefined;
  }

  notUpToDate(): NotUpToDate {
    const graph = this.graph();
    const fresh = this.#run.freshness(graph);
    const pick = (v: string) => graph.steps.filter((s) => fresh.get(s.name) === v).map((s) => s.name);
    return { stale: pick("stale"), failed: pick("failed"), notRun: pick("not run") };
  }

  rerunVerdicts(): Promise<Map<string, RerunVerdict>> {
    return planRerun(this.#runner);
  }

  rerun(sink: CellSink): Promise<RerunResult> {
    return rerunSteps(this.#runner, sink);
  }

  async removeCells(refs: string[]): Promise<string> {
    return removeCells(this.graphParts(), refs);
  }

  async reset(): Promise<string> {
    return resetGraph(this.graphParts());
  }

  exportFlow(file: string): string {
    return exportFlow(this.#cells.all, { flow: this.#flowName, file, cwd: this.#cwd, notebookPath: this.opts.notebookPath });
  }

  staleSteps(): string[] {
    return this.state.stale;
  }

  get storeReader(): StoreReader {
    return this.#reader;
  }

  get flow(): string {
    return this.#flowName;
  }

  get workingDirectory(): string {
    return this.#cwd;
  }

  // ---- language ---------------------------------------------------------------------------

  complete(code: string, cursor: number): CompletionResult {
    return this.#language.complete(code, cursor, this.languageContext(code));
  }

  inspect(code: string, cursor: number, detailLevel: 0 | 1): InspectResult {
    return this.#language.inspect(code, cursor, detailLevel, this.languageContext(code));
  }

  isComplete(code: string): IsCompleteResult {
    return this.#language.isComplete(code);
  }

  /** The artifacts the cell being typed can see: its parents' newest tasks (or the last step's). */
  private languageContext(code: string) {
    let directives: CellDirectives | undefined;
    try {
      directives = parseCell(code);
    } catch {
      directives = undefined;
    }
    const loaded = this.#runner.loaded;
    if (loaded && directives?.step === undefined && directives?.prev === undefined) {
      const parameters = Object.fromEntries(loaded.parameters.flatMap((p) => (loaded.initial[p] ? [[p, loaded.initial[p]!]] : [])));
      return { artifacts: loaded.initial, parameters, isJoin: loaded.isJoin, reader: this.#reader };
    }
    const graph = this.graph();
    const named = directives?.step ? graph.steps.find((s) => s.name === directives!.step) : undefined;
    const current = this.#runner.currentStep;
    const parents = named ? named.parents : (directives?.prev ?? (current ? [current] : []));
    const artifacts: Record<string, ArtifactRef> = {};
    for (const p of parents) for (const t of this.#run.successful(p) ?? []) Object.assign(artifacts, t.artifacts);
    const isJoin = named?.isJoin ?? parents.length > 1;
    return { artifacts, parameters: this.#parameterRefs, isJoin, reader: this.#reader };
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  interrupt(): void {
    this.#runner.interrupted = true;
    this.#cache.executor.interruptAll();
  }

  async close(): Promise<void> {
    this.interrupt();
    // The run's final status first: it is what scripts read, and disposing sandboxes may take long.
    await this.#run.finish(this.graph());
    await this.#cache.executor.close();
    await this.store.close();
  }
}

export async function createSession(opts: SessionOptions = {}): Promise<NotebookSession & Session> {
  return new Session(opts);
}
