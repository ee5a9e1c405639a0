/**
 * The names a flow file imports from "steplab": FlowSpec, step, Parameter, IncludeFile, JSONType.
 * The graph is read statically from source, so `@step` needs no runtime bookkeeping; FlowSpec's
 * methods are what a running step calls on `this`.
 */
import type { StepOptions } from "../../graph/index.js";
import { activeTask } from "./task-state.js";

export type { StepOptions };

/** The JSON parameter type marker (Metaflow's JSONType). */
export const JSONType = { name: "JSONType" } as const;

export type ParameterType = StringConstructor | NumberConstructor | BooleanConstructor | typeof JSONType;

export interface ParameterOptions<T> {
  help?: string;
  default?: T | (() => T);
  required?: boolean;
  type?: ParameterType;
}

/** A flow parameter. At run time the field reads as its value. */
export function Parameter<T = any>(name: string, options: ParameterOptions<T> = {}): T {
  return { __steplabParameter: name, ...options } as unknown as T;
}

export interface IncludeFileOptions {
  help?: string;
  isText?: boolean;
  default?: string;
  required?: boolean;
}

/** A file read at `run` time and stored as an artifact (a string when isText, else bytes). */
export function IncludeFile(name: string, options: IncludeFileOptions = {}): any {
  return { __steplabIncludeFile: name, ...options };
}

type MethodDecorator = (target: any, context?: any, descriptor?: any) => any;

/**
 * `@step` or `@step({ isolation: "process", memoryMb, timeoutSeconds })`. Works with both
 * TypeScript's standard decorators and `experimentalDecorators`.
 */
export function step(options: StepOptions): MethodDecorator;
export function step(target: any, context?: any, descriptor?: any): any;
export function step(first: any, _context?: any, descriptor?: any): any {
  if (typeof first === "function" || descriptor !== undefined) return descriptor;
  return (_target: any, _ctx?: any, desc?: any) => desc;
}

export interface ForeachTarget {
  foreach: string;
}

export interface MergeOptions {
  include?: string[];
  exclude?: string[];
}

/** A join's inputs: indexable, iterable, and addressable by the name of the step each came from. */
export type Inputs<F> = ReadonlyArray<Readonly<F>> & {
  readonly [K in keyof F as F[K] extends (...args: any[]) => unknown ? K : never]: Readonly<F>;
};

export abstract class FlowSpec {
  /** The item of the foreach this task belongs to. */
  declare readonly input: any;
  /** The index of that item. */
  declare readonly index: number;

  /** The transition to the next step(s); the last statement of every step but `end`. */
  next(...targets: Array<((...args: any[]) => unknown) | ForeachTarget>): void {
    activeTask().next(targets);
  }

  /** Propagate artifacts that agree across a join's inputs. */
  mergeArtifacts(inputs: ReadonlyArray<unknown>, options: MergeOptions = {}): void {
    activeTask().mergeArtifacts(inputs, options);
  }
}
