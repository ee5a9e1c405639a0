/**
 * The one task running in this guest: what `this` reads and writes, and the transition it takes.
 * The task knows its artifacts as references (name -> sha); values load lazily through the host.
 */
// store/portable, not store/index: the guest is bundled into isolates, without LMDB.
import { artifactNameProblem, fromEnvelopes, showName, UnstorableClassError } from "../../../store/portable.js";
import { refuseClientObjects } from "./client-values.js";
import { InvalidArtifactNameError, MissingArtifactError, StepUsageError, UnstorableArtifactError } from "./errors.js";
import { currentHost, emitArtifact } from "./host-bridge.js";
import { planMerge } from "./merge.js";
import type { ArtifactShas, GuestFailure, GuestOutcome, TaskInput, TaskRequest } from "./request.js";

export type { ArtifactShas, GuestFailure, GuestOutcome, TaskInput, TaskRequest };

const STORABLE_FIX =
  "Store plain data (objects, arrays, Map, Set, typed arrays, ...) or an instance of a class the flow defines or registers.";

let current: TaskState | undefined;

export function activeTask(): TaskState {
  if (!current) throw new StepUsageError("next() and mergeArtifacts() can only be called while a step runs");
  return current;
}

export class TaskState {
  readonly written = new Map<string, unknown>();
  readonly loaded = new Map<string, unknown>();
  readonly deleted = new Set<string>();
  merged: ArtifactShas = {};
  transition?: { steps: string[]; foreach?: string };
  readonly self: object;
  private readonly refs: ArtifactShas;

  constructor(
    readonly flowClass: { prototype: object },
    readonly request: TaskRequest,
  ) {
    this.refs = { ...request.initial };
    this.self = new Proxy(Object.create(flowClass.prototype), this.selfHandler());
    current = this;
  }

  finish(): GuestOutcome {
    current = undefined;
    const host = currentHost();
    const emitted: string[] = [];
    const emit = (name: string, value: unknown) => {
      try {
        emitArtifact(host, name, value);
      } catch (err) {
        // A client object added after the assignment (self.runs.push(run)): say that, not what the copy saw.
        refuseClientObjects(name, this.request.step, value);
        const fix = err instanceof UnstorableClassError ? undefined : STORABLE_FIX;
        throw new UnstorableArtifactError(name, this.request.step, (err as Error).message, fix);
      }
      emitted.push(name);
    };
    for (const [name, value] of this.written) emit(name, value);
    // Objects read from the store may have been changed in place: hand them back; the host keeps
    // the old reference when the bytes did not change.
    for (const [name, value] of this.loaded) {
      if (!this.written.has(name) && !this.deleted.has(name) && typeof value === "object" && value !== null) {
        emit(name, value);
      }
    }
    return { next: this.transition, emitted, deleted: [...this.deleted], merged: this.merged };
  }

  /** A failed step: hands the host what it assigned, leaving out values that cannot be stored. */
  abandonKeepingWritten(): GuestOutcome {
    current = undefined;
    const emitted: string[] = [];
    const host = globalThis.__steplabHost;
    for (const [name, value] of host ? this.written : []) {
      try {
        emitArtifact(host!, name, value);
        emitted.push(name);
      } catch {
        // not storable: the failure itself is what the user needs to see
      }
    }
    return { emitted, deleted: [], merged: {} };
  }

  next(targets: unknown[]): void {
    if (this.transition) throw new StepUsageError(`Step '${this.request.step}' called next() twice`);
    const steps: string[] = [];
    let foreach: string | undefined;
    for (const target of targets) {
      if (typeof target === "function") {
        const name = this.request.steps.find((s) => (this.flowClass.prototype as any)[s] === target);
        if (!name) throw new StepUsageError(`next() in step '${this.request.step}' got a function that is not a @step of this flow`);
        steps.push(name);
      } else if (typeof target === "object" && target !== null && typeof (target as any).foreach === "string") {
        foreach = (target as any).foreach;
      } else {
        throw new StepUsageError(
          `next() in step '${this.request.step}' takes steps (this.a, this.b) and optionally { foreach: "artifact" }`,
        );
      }
    }
    this.transition = foreach ? { steps, foreach } : { steps };
  }

  mergeArtifacts(_inputs: unknown, options: { include?: string[]; exclude?: string[] }): void {
    if (!this.request.inputs) {
      throw new StepUsageError(`mergeArtifacts() can only be called in a join step; '${this.request.step}' is not one`);
    }
    const alreadySet = new Set([...this.written.keys(), ...Object.keys(this.request.parameters)]);
    this.merged = planMerge(this.request.step, this.request.inputs, options, alreadySet);
    Object.assign(this.refs, this.merged);
  }

  /** The `inputs` argument of a join. */
  inputsArgument(): readonly unknown[] {
    const inputs = this.request.inputs ?? [];
    const list = inputs.map((input) => this.inputProxy(input));
    inputs.forEach((input, i) => {
      if (!(input.step in list)) Object.defineProperty(list, input.step, { value: list[i], enumerable: false });
    });
    return Object.freeze(list);
  }

  private load(refs: ArtifactShas, name: string, from = this.request.pathspec): unknown {
    const sha = Object.hasOwn(refs, name) ? refs[name] : undefined;
    if (sha === undefined) {
      // An optional parameter given no value reads as undefined (Metaflow: None).
      if (Object.hasOwn(this.request.parameters, name)) return undefined;
      throw new MissingArtifactError(this.request.flow, name);
    }
    return fromEnvelopes(currentHost().loadBlob(sha), { subject: `Artifact '${name}' of ${from}` });
  }

  /** Throws unless `this.NAME = ...` may set an artifact called `key`. */
  private checkAssignable(key: string): void {
    const req = this.request;
    if (Object.hasOwn(req.parameters, key)) {
      throw new StepUsageError(`Parameter '${key}' is immutable: it cannot be assigned in step '${req.step}'`);
    }
    const problem = artifactNameProblem(key);
    if (problem) throw new InvalidArtifactNameError(showName(key), req.step, problem);
    if (key === "input" || key === "index" || key in this.flowClass.prototype) {
      throw new StepUsageError(`'${key}' is reserved by steplab and cannot be assigned in step '${req.step}'`);
    }
  }

  private inputProxy(input: TaskInput): object {
    const cache = new Map<string, unknown>();
    const names = () => Object.keys(input.artifacts);
    return new Proxy(
      {},
      {
        get: (target, key) => {
          if (typeof key === "symbol") return Reflect.get(target, key);
          if (key === "then" || key === "toJSON") return undefined;
          if (!cache.has(key)) cache.set(key, this.load(input.artifacts, key, input.pathspec));
          return cache.get(key);
        },
        set: () => {
          throw new StepUsageError(`The inputs of join '${this.request.step}' are read-only: assign to this.NAME instead`);
        },
        has: (_t, key) => typeof key === "string" && Object.hasOwn(input.artifacts, key),
        ownKeys: () => names(),
        getOwnPropertyDescriptor: (_t, key) =>
          typeof key === "string" && Object.hasOwn(input.artifacts, key) ? { enumerable: true, configurable: true } : undefined,
      },
    );
  }

  private selfHandler(): ProxyHandler<object> {
    const proto = this.flowClass.prototype;
    const req = this.request;
    return {
      get: (target, key, receiver) => {
        if (typeof key === "symbol") return Reflect.get(target, key, receiver);
        if (this.written.has(key)) return this.written.get(key);
        if (key === "input" || key === "index") {
          if (!req.foreach) throw new StepUsageError(`this.${key} is only set in a foreach step; '${req.step}' is not one`);
          return key === "input" ? req.foreach.input : req.foreach.index;
        }
        if (key in proto) return Reflect.get(target, key, receiver);
        if (key === "then" || key === "toJSON") return undefined;
        if (this.deleted.has(key)) throw new MissingArtifactError(req.flow, key);
        if (this.loaded.has(key)) return this.loaded.get(key);
        const value = this.load(this.refs, key);
        if (!Object.hasOwn(req.parameters, key)) this.loaded.set(key, value);
        return value;
      },
      set: (_target, key, value) => {
        if (typeof key === "symbol") return false;
        this.checkAssignable(key);
        refuseClientObjects(key, req.step, value);
        this.deleted.delete(key);
        this.written.set(key, value);
        return true;
      },
      // Object.defineProperty(this, ...) and Reflect.defineProperty are assignments too.
      defineProperty: (_target, key, descriptor) => {
        if (typeof key === "symbol") return false;
        this.checkAssignable(key);
        if (!("value" in descriptor)) {
          throw new StepUsageError(`Artifact '${showName(key)}' in step '${req.step}' must be set to a value, not a getter or setter`);
        }
        refuseClientObjects(key, req.step, descriptor.value);
        this.deleted.delete(key);
        this.written.set(key, descriptor.value);
        return true;
      },
      deleteProperty: (_target, key) => {
        if (typeof key === "symbol") return false;
        this.written.delete(key);
        this.loaded.delete(key);
        this.deleted.add(key);
        return true;
      },
      has: (_target, key) =>
        typeof key === "string" && !this.deleted.has(key) && (this.written.has(key) || Object.hasOwn(this.refs, key) || key in proto),
    };
  }
}
