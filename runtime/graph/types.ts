/** The static shape of a flow, read from source without running any step. */

export type StepType =
  | "start" // the start step (may also split)
  | "linear" // one next step
  | "split" // a static split: several next steps
  | "foreach" // one next step run once per item of an artifact
  | "join" // takes `inputs`
  | "end";

export interface StepOptions {
  isolation?: "isolate" | "process";
  memoryMb?: number;
  timeoutSeconds?: number;
  /** More attempts after a failure (Metaflow's @retry). */
  retries?: number;
  /** After the last attempt, keep the exception as this artifact and go on (Metaflow's @catch(var=...)). */
  catch?: string;
  /** Reuse across runs (`run --cache`): false never, true even for process steps and client reads. */
  cache?: boolean;
}

export interface StepNode {
  name: string;
  /** 1-based line of the method in the flow file. */
  line: number;
  doc?: string;
  /** Next step names, in the order written. Empty for `end`. */
  next: string[];
  /** Artifact name when the step ends with `this.next(this.x, { foreach: "items" })`. */
  foreach?: string;
  /** True when the method takes a parameter (`inputs`). */
  isJoin: boolean;
  type: StepType;
  options: StepOptions;
  /** Decorator source texts, for `show`. */
  decorators: string[];
  /** Steps with a transition into this one, filled in by the parser. */
  inFuncs: string[];
  /** Names assigned as `this.NAME = ...` in the body (for the foreach-over-missing-artifact lint). */
  assigns: string[];
  /** Source offsets of the method body's inner text (between its braces), for convert. */
  bodyStart: number;
  bodyEnd: number;
}

export type ParameterType = "String" | "Number" | "Boolean" | "JSONType";

export interface ParameterNode {
  /** The class field that holds it (`animal`). */
  field: string;
  /** The parameter's name on the command line and as an artifact (`creature`). */
  name: string;
  kind: "parameter" | "includefile";
  help?: string;
  required: boolean;
  /**
   * The default value when it is known without running the flow: a literal (string, number,
   * boolean, JSON) or a module constant holding one.
   */
  default?: unknown;
  hasDefault: boolean;
  /** A default computed when the flow loads (`process.env.X ?? "a"`): its source text. */
  defaultSource?: string;
  /** Given, or inferred from the default (its value, or its expression's shape). */
  type?: ParameterType;
  isText?: boolean;
  line: number;
}

export interface FlowGraph {
  /** The exported FlowSpec subclass's name, e.g. CounterBranchFlow. */
  name: string;
  file: string;
  doc?: string;
  /** Steps in source order. */
  steps: StepNode[];
  parameters: ParameterNode[];
  /** Source offsets of the flow class (for convert: everything else is module scope). */
  classStart: number;
  classEnd: number;
}

export interface LintProblem {
  message: string;
  line: number;
  /** The rule's stable id, e.g. "no-start", "unmatched-split". */
  rule: string;
}
