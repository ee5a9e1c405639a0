/**
 * The declarations a cell sees before its own code: the helpers every cell has (client API,
 * display, runFlow, prompt) and, per cell, `self`, `inputs` and the parameters.
 * They live in module scope of the virtual file, so they shadow same-named globals (`self` in lib.dom).
 */
import type { CellContext } from "./types.js";
import { propertyKey } from "./type-of-value.js";

const CLIENT = `
/** One stored value of a task. \`.data\` loads it. */
interface DataArtifact {
  readonly task: Task;
  readonly name: string;
  /** sha256 of the encoded bytes (the blob's key in the store). */
  readonly sha: string;
  /** Encoded size in bytes. */
  readonly size: number;
  /** The stored value's type, e.g. "number", "object", "Map". */
  readonly type: string;
  /** Flow/run/step/task/name */
  readonly pathspec: string;
  /** The value, loaded from the store. */
  readonly data: any;
}
/** One execution of a step (one per foreach item). */
interface Task {
  /** Flow/run/step/task */
  readonly pathspec: string;
  readonly id: string;
  readonly stepName: string;
  readonly successful: boolean;
  readonly finished: boolean;
  /** The error the task failed with. */
  readonly exception: { name: string; message: string; stack?: string } | undefined;
  /** The foreach index of this task, when it is a foreach body. */
  readonly index: number | undefined;
  readonly createdAt: Date;
  readonly finishedAt: Date | undefined;
  /** The task this one was cloned from by resume. */
  readonly originPathspec: string | undefined;
  /** The attempt that made this record, from 0 (the one that won, after retries). */
  readonly attempt: number;
  readonly currentAttempt: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Every artifact of the task, by name. */
  readonly artifacts: DataArtifact[];
  artifact(name: string): DataArtifact;
  /** \`task.data.NAME\` loads only the artifacts read. */
  readonly data: Record<string, any>;
  /** Pathspecs of the tasks this one followed. */
  readonly parentTasks: string[];
}
interface TaskConstructor {
  /** The task at a pathspec Flow/run/step/task. */
  new (pathspec: string): Task;
  (pathspec: string): Task;
  readonly prototype: Task;
}
declare const Task: TaskConstructor;
/** A step of a run; iterating it gives its tasks. */
interface Step extends Iterable<Task> {
  /** Flow/run/step */
  readonly pathspec: string;
  readonly id: string;
  readonly flowName: string;
  readonly runId: string;
  readonly tasks: Task[];
  /** The step's task (the first one, for a foreach step). */
  readonly task: Task;
  readonly finishedAt: Date | undefined;
}
interface StepConstructor {
  /** The step at a pathspec Flow/run/step. */
  new (pathspec: string): Step;
  (pathspec: string): Step;
  readonly prototype: Step;
}
declare const Step: StepConstructor;
/** One run of a flow; iterating it gives its steps. */
interface Run extends Iterable<Step> {
  /** Flow/run */
  readonly pathspec: string;
  readonly id: string;
  readonly flowName: string;
  readonly successful: boolean;
  readonly finished: boolean;
  readonly tags: string[];
  readonly createdAt: Date;
  readonly finishedAt: Date | undefined;
  /** The run this one resumed. */
  readonly originPathspec: string | undefined;
  /** The values the run's parameters took. */
  readonly parameters: Record<string, unknown>;
  readonly steps: Step[];
  step(name: string): Step;
  /** Same as step(name). */
  get(name: string): Step;
  has(name: string): boolean;
  readonly endTask: Task | undefined;
  /** The end task's data, as Metaflow's \`run.data\`. */
  readonly data: Record<string, any> | undefined;
}
interface RunConstructor {
  /** The run at a pathspec Flow/run. */
  new (pathspec: string): Run;
  (pathspec: string): Run;
  readonly prototype: Run;
}
declare const Run: RunConstructor;
/** A flow in the store; iterating it gives its runs, newest first. */
interface Flow extends Iterable<Run> {
  readonly name: string;
  readonly pathspec: string;
  readonly id: string;
  /** Runs in the namespace in use, newest first; \`runs("tag", ...)\` keeps those with every tag. */
  readonly runs: Run[] & ((...tags: string[]) => Run[]);
  /** Runs carrying every given tag, newest first. */
  runsTagged(...tags: string[]): Run[];
  readonly latestRun: Run | undefined;
  readonly latestSuccessfulRun: Run | undefined;
}
interface FlowConstructor {
  /** The flow called \`name\` in the store. */
  new (name: string): Flow;
  (name: string): Flow;
  readonly prototype: Flow;
}
declare const Flow: FlowConstructor;
/** The whole store; iterating it gives its flows. */
interface Steplab extends Iterable<Flow> {
  readonly flows: Flow[];
}
interface SteplabConstructor {
  new (): Steplab;
  (): Steplab;
  readonly prototype: Steplab;
}
declare const Steplab: SteplabConstructor;

interface DisplayOptions {
  /** Name this output so a later display with \`update: true\` re-renders it. */
  displayId?: string;
  /** Replace the output shown earlier with the same displayId. */
  update?: boolean;
}
interface Display {
  /** Show a value richly (arrays of records as tables, artifacts and runs as views). */
  (value: unknown, opts?: DisplayOptions): void;
  html(html: string, opts?: DisplayOptions): void;
  markdown(markdown: string, opts?: DisplayOptions): void;
  json(value: unknown, opts?: DisplayOptions): void;
  /** PNG bytes, or base64 text. */
  png(data: Uint8Array | string, opts?: DisplayOptions): void;
  svg(svg: string, opts?: DisplayOptions): void;
  /** Rows as records (columns from their keys) or as arrays. */
  table(rows: readonly Record<string, unknown>[] | readonly unknown[][], opts?: DisplayOptions): void;
  /** A Vega-Lite spec: interactive in JupyterLab, an SVG picture elsewhere. */
  vegaLite(spec: Record<string, unknown>, opts?: DisplayOptions): void;
  /** A line, bar or scatter chart of rows: display.chart(rows, { x: "k", y: "accuracy", mark: "line" }). */
  chart(
    rows: readonly Record<string, unknown>[],
    chart: { x: string; y: string | string[]; mark?: "line" | "bar" | "scatter" | "point" | "area"; color?: string; title?: string; width?: number; height?: number },
    opts?: DisplayOptions,
  ): void;
  text(text: string, opts?: DisplayOptions): void;
  jpeg(data: Uint8Array | string, opts?: DisplayOptions): void;
  gif(data: Uint8Array | string, opts?: DisplayOptions): void;
  latex(text: string, opts?: DisplayOptions): void;
  /** Any MIME type: display.raw("text/csv", "a,b\\n1,2"). */
  raw(mime: string, data: string | Uint8Array, opts?: DisplayOptions): void;
}
/** Show a value in the cell's output. */
declare const display: Display;
/** Switch the client's namespace (\`"user:NAME"\`, or null for every run); returns the one in use. */
declare function namespace(ns?: string | null): string | null;
/** What the running cell's task knows of itself (Metaflow's current). */
declare const current: {
  readonly isRunningFlow: boolean;
  readonly flowName: string;
  readonly runId: string;
  readonly stepName: string;
  readonly taskId: string;
  /** Flow/run/step/task */
  readonly pathspec: string;
  readonly retryCount: number;
  readonly originRunId: string | undefined;
  readonly tags: readonly string[];
  readonly username: string;
  readonly namespace: string;
};
/** Run a flow file (as \`steplab run\` does), showing its progress; resolves to its Run. */
declare function runFlow(file: string, params?: Record<string, unknown>): Promise<Run>;
/** Ask the user for a line of text (Jupyter's input box, the REPL's prompt). */
declare function prompt(text?: string): Promise<string>;
`;

/** What the isolate sandbox provides, for when @types/node is not installed. */
const SANDBOX_GLOBALS = `
interface Console {
  log(...data: any[]): void;
  info(...data: any[]): void;
  warn(...data: any[]): void;
  error(...data: any[]): void;
  debug(...data: any[]): void;
  table(data: unknown): void;
}
declare const console: Console;
declare function setTimeout(callback: (...args: any[]) => void, ms?: number, ...args: any[]): number;
declare function clearTimeout(id: number | undefined): void;
declare function setInterval(callback: (...args: any[]) => void, ms?: number, ...args: any[]): number;
declare function clearInterval(id: number | undefined): void;
declare class TextEncoder { encode(input?: string): Uint8Array; }
declare class TextDecoder { constructor(label?: string); decode(input?: ArrayBufferView | ArrayBuffer): string; }
declare const crypto: { getRandomValues<T extends ArrayBufferView>(array: T): T; randomUUID(): string };
declare const performance: { now(): number; readonly timeOrigin: number };
declare function structuredClone<T>(value: T): T;
declare const process: { readonly env: Readonly<Record<string, string | undefined>> };
`;

function members(types: Record<string, string>, readonly: boolean): string[] {
  return Object.entries(types).map(([name, type]) => `  ${readonly ? "readonly " : ""}${propertyKey(name)}: ${type};`);
}

/** The flow object a step cell calls `self`: parents' artifacts, parameters, anything assigned. */
function selfInterface(ctx: CellContext): string {
  const artifacts = { ...ctx.artifactTypes };
  const special: string[] = [];
  if (ctx.isForeach) {
    special.push(`  /** The item of the foreach this task belongs to. */\n  readonly input: ${artifacts.input ?? "any"};`);
    special.push("  /** The index of that item. */\n  readonly index: number;");
    delete artifacts.input;
    delete artifacts.index;
  }
  for (const name of Object.keys(ctx.parameters)) delete artifacts[name];
  if (ctx.isJoin) {
    special.push(
      "  /** Propagate artifacts that agree across a join's inputs. */\n" +
        "  mergeArtifacts(inputs: JoinInputs, options?: { include?: string[]; exclude?: string[] }): void;",
    );
  }
  return [
    "/** The step's flow object: its parents' artifacts; assign to it to store new ones. */",
    "interface StepSelf {",
    "  [name: string]: any;",
    ...members(artifacts, false),
    ...members(ctx.parameters, true),
    ...special,
    "}",
  ].join("\n");
}

function joinInputs(ctx: CellContext): string {
  const named = (ctx.joinInputNames ?? []).map((n) => `  readonly ${propertyKey(n)}: Readonly<StepSelf>;`);
  return [
    "/** A join's inputs: indexable, iterable, and addressable by the name of the step each came from. */",
    "type JoinInputs = ReadonlyArray<Readonly<StepSelf>> & {",
    "  readonly [step: string]: Readonly<StepSelf>;",
    ...named,
    "};",
  ].join("\n");
}

export interface PreludeOptions {
  /** Declare console, timers and TextEncoder here (no @types/node to provide them). */
  sandboxGlobals: boolean;
  /** Parameters become bare consts (not in a parameters cell, which declares them itself). */
  declareParameters: boolean;
}

export function buildPrelude(ctx: CellContext, opts: PreludeOptions): string {
  const parts = ["export {};", CLIENT];
  if (opts.sandboxGlobals) parts.push(SANDBOX_GLOBALS);
  parts.push(selfInterface(ctx), joinInputs(ctx));
  parts.push("/** The step's flow object: its parents' artifacts; assign to it to store new ones. */");
  parts.push("declare const self: StepSelf;");
  if (ctx.isJoin)
    parts.push("/** The join's inputs, one flow object per parent task (also inputs.STEP). */\ndeclare const inputs: JoinInputs;");
  if (opts.declareParameters) {
    for (const [name, type] of Object.entries(ctx.parameters)) {
      if (/^[A-Za-z_$][\w$]*$/.test(name)) parts.push(`/** Flow parameter. */\ndeclare const ${name}: ${type};`);
    }
  }
  return `${parts.join("\n")}\n`;
}
