/**
 * A notebook session: one run (tagged `notebook`) and the graph its cells declare. Executing a
 * cell: parse directives -> update the graph -> build the cell's module -> run it in a fresh
 * isolate context with `self` bound to its parents' latest tasks -> commit a new task -> mark the
 * steps downstream stale. No value lives between cells except through the store and setup cells.
 */
import os from "node:os";
import path from "node:path";
import { writeFileSync } from "node:fs";
import {
  openStore,
  resolveStoreRoot,
  type ArtifactRef,
  type Frame,
  type HistoryEntry,
  type RunRecord,
  type Store,
  type TaskRecord,
} from "../../store/index.js";
import {
  buildNotebookGraph,
  codeCell,
  newNotebook,
  notebookToFlow,
  parseCell,
  parseParametersCell,
  type CellDirectives,
  type NotebookGraph,
  type NotebookStep,
} from "../../notebooks/index.js";
import { reachableFrom } from "../graph/index.js";
import { bundleSource, transformSource, type FlowBundle } from "../bundle/index.js";
import type { StoreReader } from "../../store/index.js";
import { storeReader, taskPathspec } from "../../store/index.js";
import { type IsolateSandbox, TaskInterruptedError, type Sandbox, type TaskIO } from "../sandbox/index.js";
import { LocalExecutor, storeValues, type TaskSpec } from "../executor/index.js";
import { CellSandbox } from "./cell-sandbox.js";
import { buildCellModule, CELL_METHOD, CELL_SOURCE_NAME, topLevelNames, type CellModule } from "./cell-module.js";
import { displayBundle, valueBundle } from "./display.js";
import { cellError, LocalOfAnotherCellError, NotebookGraphProblem } from "./errors.js";
import { sessionFlowName } from "./flow-name.js";
import { runMagic } from "./magics.js";
import { runFlowFromCell } from "./run-flow.js";
import type {
  CellSink,
  CompletionResult,
  ExecuteOptions,
  ExecuteOutcome,
  InspectResult,
  IsCompleteResult,
  MimeBundle,
  NotebookSession,
  SessionState,
} from "./types.js";
import { LanguageSupport } from "./language-support.js";

export interface SessionOptions {
  storeRoot?: string;
  notebookPath?: string;
  flowName?: string;
  /** Where cells' imports and runFlow() files resolve from; default: the notebook's folder, else cwd. */
  cwd?: string;
  /** Memory limit of each cell's isolate. */
  memoryMb?: number;
  env?: NodeJS.ProcessEnv;
  /** History entries are tagged with this (a kernel session id, "repl"). */
  historySession?: string;
}

export interface SessionCell {
  number: number;
  id?: string;
  source: string;
  tags: string[];
  directives: CellDirectives;
}

export const DEFAULT_CELL_MEMORY_MB = 1024;
/** Compiled cell modules kept for re-runs. */
const COMPILED_CELLS_KEPT = 64;
/** How long a finished cell's timers may keep printing under it. */
const CELL_LINGER_MS = 60_000;

export class Session implements NotebookSession {
  readonly store: Store;
  private readonly reader: StoreReader;
  private readonly cellList: SessionCell[] = [];
  private run?: RunRecord;
  private readonly latest = new Map<string, TaskRecord[]>();
  private readonly stale = new Set<string>();
  private currentStep?: string;
  private nextTaskId = 1;
  private running?: Sandbox;
  private readonly cellSandbox = new CellSandbox();
  private readonly executor: LocalExecutor;
  private readonly compiled = new Map<string, FlowBundle>();
  private graphCache?: NotebookGraph;
  private interrupted = false;
  private flowName: string;
  private parameterRefs: Record<string, ArtifactRef> = {};
  private readonly cwd: string;
  private readonly memoryMb: number;
  private historyLine = 0;
  private readonly language = new LanguageSupport();

  constructor(private readonly opts: SessionOptions = {}) {
    const env = opts.env ?? process.env;
    this.store = openStore(opts.storeRoot ?? resolveStoreRoot(opts.cwd ?? process.cwd(), env));
    this.reader = storeReader(this.store);
    this.flowName = sessionFlowName({ ...opts, env });
    this.cwd = opts.cwd ?? (opts.notebookPath ? path.dirname(path.resolve(opts.notebookPath)) : process.cwd());
    this.memoryMb = opts.memoryMb ?? (Number(env.STEPLAB_CELL_MEMORY_MB) || DEFAULT_CELL_MEMORY_MB);
    this.executor = new LocalExecutor({
      store: this.store,
      reader: this.reader,
      sandboxes: this.cellSandbox,
      defaults: { memoryMb: this.memoryMb, lingerMs: CELL_LINGER_MS },
      recordRunning: false,
    });
  }

  get state(): SessionState {
    const graph = this.graph();
    return {
      flow: this.flowName,
      runId: this.run?.runId,
      currentStep: this.currentStep,
      stale: graph.steps.filter((s) => this.stale.has(s.name)).map((s) => s.name),
      steps: graph.steps.map((s) => ({
        name: s.name,
        parents: s.parents,
        foreach: s.iterates,
        taskId: this.latest
          .get(s.name)
          ?.map((t) => t.taskId)
          .join(","),
        stale: this.stale.has(s.name),
      })),
    };
  }

  cells(): { source: string; tags: string[] }[] {
    return this.cellList.map((c) => ({ source: c.source, tags: [...c.tags] }));
  }

  /** The graph the cells declare; rebuilt only when a cell changes. */
  graph(): NotebookGraph {
    this.graphCache ??= buildNotebookGraph(
      this.cellList.map((c) => ({ source: c.source, tags: c.tags, index: c.number, id: c.id, directives: c.directives })),
    );
    return this.graphCache;
  }

  // ---- executing cells ------------------------------------------------------------------

  async execute(code: string, opts: ExecuteOptions): Promise<ExecuteOutcome> {
    this.interrupted = false;
    if (code.trim() === "") return { status: "ok" };
    let directives: CellDirectives;
    try {
      directives = parseCell(code, opts.tags ?? []);
    } catch (err) {
      return { status: "error", error: cellError(err) };
    }
    if (!opts.silent && opts.storeHistory !== false) this.addHistory(code, opts.executionCount);
    try {
      if (directives.kind === "magic") {
        if (directives.magic!.name === "flow") this.remember(code, opts, directives);
        return await runMagic(this, directives.magic!, opts);
      }
      const known = new Set(this.cellList);
      const cell = this.remember(code, opts, directives);
      try {
        switch (directives.kind) {
          case "setup":
            return await this.runSetup(cell, opts.sink);
          case "parameters":
            return await this.runParameters(cell);
          case "skip":
            return await this.runScratch(cell, opts.sink);
          default:
            return await this.runStepCell(cell, opts.sink);
        }
      } catch (err) {
        // A new cell that failed is not part of the flow: the next cell's parent stays the last
        // one that worked. (Running it again, fixed, adds it.)
        if (!known.has(cell) && this.cellList.at(-1) === cell) {
          this.cellList.pop();
          this.graphCache = undefined;
        }
        throw err;
      }
    } catch (err) {
      return { status: "error", error: cellError(err) };
    }
  }

  /** Adds the cell, or updates it when it is the same cell run again (same id, or same step name). */
  private remember(source: string, opts: ExecuteOptions, directives: CellDirectives): SessionCell {
    const tags = opts.tags ?? [];
    const existing =
      (opts.cellId !== undefined && this.cellList.find((c) => c.id === opts.cellId)) ||
      (directives.kind === "step" && directives.step !== undefined
        ? this.cellList.find((c) => c.directives.kind === "step" && c.directives.step === directives.step)
        : undefined) ||
      (directives.kind === "magic" && directives.magic?.name === "flow"
        ? this.cellList.find((c) => c.directives.kind === "magic" && c.directives.magic?.name === "flow")
        : undefined);
    if (existing) {
      Object.assign(existing, { source, tags, directives });
      this.graphCache = undefined;
      return existing;
    }
    const cell: SessionCell = { number: this.cellList.length + 1, id: opts.cellId, source, tags, directives };
    this.cellList.push(cell);
    this.graphCache = undefined;
    return cell;
  }

  /** Switches the flow the next run is recorded under (`%flow NAME`). */
  setFlowName(name: string): void {
    if (name === this.flowName) return;
    this.flowName = name;
    this.finishRunSoon();
    this.run = undefined;
    this.latest.clear();
    this.stale.clear();
  }

  private finishRunSoon(): void {
    if (this.run) void this.store.putRun({ ...this.run, status: "succeeded", finishedAt: Date.now() });
  }

  private async ensureRun(): Promise<RunRecord> {
    if (this.run) return this.run;
    const runId = this.store.newRunId();
    this.run = {
      flow: this.flowName,
      runId,
      status: "running",
      tags: ["notebook", `user:${os.userInfo().username}`],
      parameters: this.parameterRefs,
      createdAt: Date.now(),
      source: this.opts.notebookPath ? path.resolve(this.opts.notebookPath) : undefined,
      pid: process.pid,
    };
    await this.store.putRun(this.run);
    this.nextTaskId = 1;
    return this.run;
  }

  private setupCells(): { cell: number; code: string; lineOffset: number }[] {
    return this.cellList
      .filter((c) => c.directives.kind === "setup")
      .map((c) => ({ cell: c.number, code: c.directives.body, lineOffset: c.directives.bodyLine - 1 }));
  }

  private parameterNames(): string[] {
    return this.graph().parameters.map((p) => p.name);
  }

  private moduleFor(cell: SessionCell, isJoin: boolean): CellModule {
    return buildCellModule({
      setup: this.setupCells(),
      parameters: this.parameterNames().filter((p) => p in this.parameterRefs),
      cell: cell.number,
      lineOffset: cell.directives.bodyLine - 1,
      body: cell.directives.body,
      isJoin,
    });
  }

  /**
   * One isolate serves the session's cells, each in a fresh context. Modules without imports are
   * cached by their source: running a cell again compiles nothing new.
   */
  private async sandboxFor(module: CellModule): Promise<IsolateSandbox> {
    let bundle = module.imports ? undefined : this.compiled.get(module.source);
    if (!bundle) {
      bundle = module.imports
        ? await bundleSource(module.source, this.cwd, CELL_SOURCE_NAME)
        : { ...(await transformSource(module.source, this.cwd, CELL_SOURCE_NAME)), declarationsOnly: module.declarationsOnly };
      if (!module.imports) {
        if (this.compiled.size >= COMPILED_CELLS_KEPT) this.compiled.delete(this.compiled.keys().next().value!);
        this.compiled.set(module.source, bundle);
      }
    }
    return this.cellSandbox.use(bundle);
  }

  private taskIO(sink: CellSink, onResult?: (v: unknown) => void): TaskIO {
    return {
      reader: this.reader,
      output: (stream, text) => (stream === "stdout" ? sink.stdout(text) : sink.stderr(text)),
      result: onResult,
      display: (kind, data, options) => {
        const bundle = displayBundle(kind, data);
        sink.display(bundle, options);
      },
      runFlow: (file, params) => runFlowFromCell(this, path.resolve(this.cwd, file), params, sink),
      prompt: async (text, password) => {
        if (!sink.input) throw new Error("This front end cannot ask for input");
        return sink.input(text, password);
      },
    };
  }

  private async runStepCell(cell: SessionCell, sink: CellSink): Promise<ExecuteOutcome> {
    const graph = this.graph();
    const problems = graph.errors.filter((e) => e.cell === cell.number);
    if (problems.length) throw new NotebookGraphProblem(problems.map((p) => p.message).join("\n"));
    const step = graph.steps.find((s) => s.cell === cell.number)!;
    for (const parent of step.parents) {
      if (!this.latest.has(parent)) {
        const where = graph.steps.find((s) => s.name === parent);
        throw new NotebookGraphProblem(
          `cell ${cell.number} (step ${step.name}) reads from step '${parent}', which has not run in this session yet: ` +
            `run ${where ? `cell ${where.cell}` : `a cell named ${parent}`} first`,
        );
      }
    }
    const run = await this.ensureRun();
    const module = this.moduleFor(cell, step.isJoin);
    const sandbox = await this.sandboxFor(module);
    let value: unknown;
    let hasValue = false;
    const io = this.taskIO(sink, (v) => {
      value = v;
      hasValue = true;
    });
    const specs = this.taskSpecs(run, step);
    const batch: TaskRecord[] = [];
    this.running = sandbox;
    this.currentStep = step.name;
    try {
      for (const spec of specs) {
        // Interrupted while the cell was being compiled, or between two foreach tasks.
        if (this.interrupted) throw new TaskInterruptedError(step.name);
        sink.progress?.({ label: `step ${step.name}`, done: batch.length, total: specs.length, startedAt: Date.now(), finished: false });
        const outcome = await this.executor.execute(
          spec,
          { name: step.name, options: {} },
          {
            onOutput: (stream, text) => io.output(stream, text),
            onDisplay: (bundle, options) => sink.display(bundle, options),
            notebook: io,
          },
        );
        if (outcome.error) throw this.explain(outcome.error, module, cell);
        batch.push(outcome.record);
      }
    } finally {
      this.running = undefined;
      if (specs.length > 1)
        sink.progress?.({ label: `step ${step.name}`, done: batch.length, total: specs.length, startedAt: Date.now(), finished: true });
    }
    this.latest.set(step.name, batch);
    this.stale.delete(step.name);
    for (const downstream of this.downstreamOf(graph, step.name)) if (this.latest.has(downstream)) this.stale.add(downstream);
    this.language.rememberLocals(cell.number, step.name, topLevelNames(cell.directives.code));
    const last = batch.at(-1)!;
    return {
      status: "ok",
      step: step.name,
      taskPathspec: taskPathspec(last),
      result: hasValue && specs.length === 1 ? valueBundle(value) : undefined,
    };
  }

  /** One task, or one per foreach item (per parent task, for nested foreach). */
  private taskSpecs(run: RunRecord, step: NotebookStep): TaskSpec[] {
    const base = {
      flow: run.flow,
      runId: run.runId,
      step: step.name,
      parameterNames: Object.fromEntries(Object.keys(this.parameterRefs).map((p) => [p, p])),
      stepNames: [step.name],
      method: CELL_METHOD,
    };
    const withParams = (refs: Record<string, ArtifactRef>) => ({ ...refs, ...this.parameterRefs });
    const parents = step.parents.flatMap((p) => this.latest.get(p) ?? []);
    const taskId = () => String(this.nextTaskId++);
    if (step.isJoin) {
      const stack = parents[0]?.stack.slice(0, -1) ?? [];
      return [{ ...base, taskId: taskId(), stack, inputs: parents, isJoin: true, initial: withParams({}) }];
    }
    if (step.iterates) {
      return parents.flatMap((parent) => {
        const ref = parent.artifacts[step.iterates!];
        if (!ref)
          throw new NotebookGraphProblem(
            `step ${step.name} is a foreach over '${step.iterates}', which step ${parent.step} did not set: assign self.${step.iterates} there`,
          );
        const list = this.reader.loadBlob(ref.sha);
        if (!Array.isArray(list))
          throw new NotebookGraphProblem(`step ${step.name} is a foreach over '${step.iterates}', which is ${ref.type}, not a list`);
        return list.map((input, index): TaskSpec => {
          const frame: Frame = { kind: "foreach", step: parent.step, taskId: parent.taskId, index, count: list.length };
          return {
            ...base,
            taskId: taskId(),
            stack: [...parent.stack, frame],
            inputs: [parent],
            isJoin: false,
            initial: withParams(parent.artifacts),
            foreach: { input, index },
          };
        });
      });
    }
    if (parents.length === 0) return [{ ...base, taskId: taskId(), stack: [], inputs: [], isJoin: false, initial: withParams({}) }];
    return parents.map((parent) => ({
      ...base,
      taskId: taskId(),
      stack: parent.stack,
      inputs: [parent],
      isJoin: false,
      initial: withParams(parent.artifacts),
    }));
  }

  private downstreamOf(graph: NotebookGraph, step: string): Set<string> {
    const downstream = reachableFrom(graph.steps, step);
    downstream.delete(step);
    return downstream;
  }

  /** Maps a task's error to the cell's own lines, and names the cell a missing local lives in. */
  private explain(err: Error, module: CellModule, cell: SessionCell): Error {
    const missing = /^(\w+) is not defined$/.exec(err.message);
    if (err.name === "ReferenceError" && missing) {
      const owner = this.language.ownerOf(missing[1]!, cell.number);
      if (owner) return new LocalOfAnotherCellError(missing[1]!, owner.cell, owner.step);
    }
    if (err.stack) {
      err.stack = err.stack.replace(/(?:[^\s()]*\/)?cell\.ts:(\d+):(\d+)/g, (whole, line: string) => {
        const origin = module.origin(Number(line));
        if (!origin) return whole;
        return origin.setup ? `setup cell ${origin.cell}, line ${origin.line}` : `cell ${origin.cell}, line ${origin.line}`;
      });
      err.stack = err.stack
        .split("\n")
        .filter((l) => !/^\s+at .*(?:\.bundle\.js|cell\.ts)/.test(l))
        .join("\n");
    }
    return err;
  }

  private async runSetup(cell: SessionCell, sink: CellSink): Promise<ExecuteOutcome> {
    // Run the module scope once so errors (a missing package, a throw at top level) show now.
    const module = this.moduleFor(cell, false);
    const sandbox = await this.sandboxFor(module);
    this.running = sandbox;
    try {
      if (this.interrupted) throw new TaskInterruptedError(cell.directives.step ?? `cell ${cell.number}`);
      await sandbox.runTask(
        { flow: this.flowName, step: "__setup", pathspec: "setup", initial: {}, parameters: {}, steps: ["__setup"], method: CELL_METHOD },
        this.taskIO(sink),
        { memoryMb: this.memoryMb },
      );
    } catch (err) {
      throw this.explain(err as Error, module, cell);
    } finally {
      this.running = undefined;
    }
    this.language.setSetup(
      this.setupCells()
        .map((s) => s.code)
        .join("\n"),
    );
    return { status: "ok" };
  }

  private async runParameters(cell: SessionCell): Promise<ExecuteOutcome> {
    const specs = parseParametersCell(cell.directives.body);
    const stored = await storeValues(this.store, Object.fromEntries(specs.map((p) => [p.name, p.default])));
    const refs: Record<string, ArtifactRef> = { ...this.parameterRefs, ...stored };
    this.parameterRefs = refs;
    if (this.run) {
      this.run = { ...this.run, parameters: refs };
      await this.store.putRun(this.run);
    }
    // Every step that ran saw the old values.
    for (const s of this.latest.keys()) this.stale.add(s);
    return { status: "ok", result: { "text/plain": specs.map((p) => `${p.name} = ${p.source}`).join("\n") } };
  }

  private async runScratch(cell: SessionCell, sink: CellSink): Promise<ExecuteOutcome> {
    // A skip cell sees the artifacts of the step that ran last, and creates no task.
    const last = this.currentStep ? this.latest.get(this.currentStep)?.at(-1) : undefined;
    const module = this.moduleFor(cell, false);
    const sandbox = await this.sandboxFor(module);
    let value: unknown;
    let hasValue = false;
    this.running = sandbox;
    try {
      if (this.interrupted) throw new TaskInterruptedError(cell.directives.step ?? `cell ${cell.number}`);
      await sandbox.runTask(
        {
          flow: this.flowName,
          step: "__scratch",
          pathspec: "scratch",
          initial: Object.fromEntries(Object.entries({ ...(last?.artifacts ?? {}), ...this.parameterRefs }).map(([n, r]) => [n, r.sha])),
          parameters: Object.fromEntries(Object.keys(this.parameterRefs).map((p) => [p, p])),
          steps: ["__scratch"],
          method: CELL_METHOD,
        },
        this.taskIO(sink, (v) => {
          value = v;
          hasValue = true;
        }),
        { memoryMb: this.memoryMb, lingerMs: CELL_LINGER_MS },
      );
    } catch (err) {
      throw this.explain(err as Error, module, cell);
    } finally {
      this.running = undefined;
    }
    return { status: "ok", result: hasValue ? valueBundle(value) : undefined };
  }

  // ---- helpers used by magics and runFlow ------------------------------------------------

  staleSteps(): string[] {
    return this.state.stale;
  }

  /** Re-runs stale steps in graph order, each through its own cell. */
  async rerunStale(sink: CellSink): Promise<string[]> {
    const done: string[] = [];
    for (const step of this.graph().steps) {
      if (!this.stale.has(step.name)) continue;
      const cell = this.cellList.find((c) => c.number === step.cell)!;
      sink.stdout(`Re-running step ${step.name} (cell ${cell.number})\n`);
      const outcome = await this.runStepCell(cell, sink);
      if (outcome.status !== "ok") break;
      done.push(step.name);
    }
    return done;
  }

  exportFlow(file: string): string {
    const nb = newNotebook(this.cellList.map((c) => codeCell(c.source, c.tags)));
    const source = notebookToFlow(nb, { name: this.flowName, file: this.opts.notebookPath });
    const target = path.resolve(this.cwd, file);
    writeFileSync(target, source);
    return target;
  }

  get storeReader(): StoreReader {
    return this.reader;
  }

  get flow(): string {
    return this.flowName;
  }

  get workingDirectory(): string {
    return this.cwd;
  }

  // ---- history --------------------------------------------------------------------------

  /** Lines are the front end's execution counts when it has them (Jupyter's In [N]). */
  private addHistory(source: string, executionCount?: number): void {
    this.historyLine = executionCount ?? this.historyLine + 1;
    // Written beside the cell, not before it: LMDB keeps the order, and the cell need not wait.
    this.store
      .addHistory({ session: this.opts.historySession ?? "notebook", line: this.historyLine, source, at: Date.now() })
      .catch((err: unknown) => process.stderr.write(`steplab: could not save input history: ${(err as Error).message}\n`));
  }

  history(limit?: number): HistoryEntry[] {
    return this.store.listHistory(limit);
  }

  // ---- language ---------------------------------------------------------------------------

  complete(code: string, cursor: number): CompletionResult {
    return this.language.complete(code, cursor, this.languageContext(code));
  }

  inspect(code: string, cursor: number, detailLevel: 0 | 1): InspectResult {
    return this.language.inspect(code, cursor, detailLevel, this.languageContext(code));
  }

  isComplete(code: string): IsCompleteResult {
    return this.language.isComplete(code);
  }

  /** The artifacts the cell being typed can see: its parents' latest tasks (or the last step's). */
  private languageContext(code: string) {
    let directives: CellDirectives | undefined;
    try {
      directives = parseCell(code);
    } catch {
      directives = undefined;
    }
    const graph = this.graph();
    const named = directives?.step ? graph.steps.find((s) => s.name === directives!.step) : undefined;
    const parents = named ? named.parents : (directives?.prev ?? (this.currentStep ? [this.currentStep] : []));
    const artifacts: Record<string, ArtifactRef> = {};
    for (const p of parents) for (const t of this.latest.get(p) ?? []) Object.assign(artifacts, t.artifacts);
    const isJoin = named?.isJoin ?? parents.length > 1;
    return { artifacts, parameters: this.parameterRefs, isJoin, reader: this.reader };
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  interrupt(): void {
    this.interrupted = true;
    this.running?.interrupt();
  }

  async close(): Promise<void> {
    this.interrupt();
    await this.executor.close();
    if (this.run) await this.store.putRun({ ...this.run, status: "succeeded", finishedAt: Date.now() });
    await this.store.close();
  }
}

export async function createSession(opts: SessionOptions = {}): Promise<NotebookSession & Session> {
  return new Session(opts);
}

export type { MimeBundle };
