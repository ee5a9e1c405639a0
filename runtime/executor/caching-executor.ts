/**
 * The task cache around any executor (local, queue): it records each task's cache key with the
 * task that produced its results, and with `reuse` (`run --cache`) reuses those results for a later
 * task with the same key instead of running it. Reuse is decided here, before the task reaches a
 * sandbox or a queue, so every executor gets it and none of them has to know about it.
 */
import type { Store } from "../../store/index.js";
import { flowStepFingerprints } from "../bundle/index.js";
import { cachePolicy, findReusable, mayRecord, reuseResults } from "./reuse.js";
import { taskCacheKey } from "./task-key.js";
import type { StepPolicy, TaskExecution, TaskExecutor, TaskOutcome, TaskSpec } from "./types.js";

export interface CachingExecutorOptions {
  store: Store;
  /**
   * Reuse recorded results (`run --cache`); without it tasks only record theirs (a plain run never
   * reuses). A function is asked before each task (a notebook's `%cache on|off`).
   */
  reuse: boolean | (() => boolean);
  /** The fingerprint of each step's code (runtime/bundle's flowStepFingerprints), for the steps given. */
  fingerprints(steps: readonly StepPolicy[]): Promise<Record<string, string>>;
}

export class CachingExecutor implements TaskExecutor {
  readonly #inner: TaskExecutor;
  readonly #opts: CachingExecutorOptions;
  #code: Record<string, string> = {};

  constructor(inner: TaskExecutor, opts: CachingExecutorOptions) {
    this.#inner = inner;
    this.#opts = opts;
  }

  async prepare(steps: readonly StepPolicy[]): Promise<void> {
    const cached = steps.filter((s) => cachePolicy(s.options) !== "never");
    // Without fingerprints the run goes on uncached: the cache must never be why a run fails
    // (a bundle that cannot be built fails in the executor's own prepare, with its own message).
    const fingerprints = this.#opts.fingerprints(cached).catch(() => ({}));
    const [, code] = await Promise.all([this.#inner.prepare(steps), fingerprints]);
    this.#code = code;
  }

  async execute(spec: TaskSpec, step: StepPolicy, io: TaskExecution): Promise<TaskOutcome> {
    const policy = cachePolicy(step.options);
    const code = this.#code[step.name];
    if (policy === "never" || code === undefined) return this.#inner.execute(spec, step, io);
    const { store } = this.#opts;
    const key = taskCacheKey(spec, code, step.options);
    const { reuse } = this.#opts;
    const source = (typeof reuse === "function" ? reuse() : reuse) ? findReusable(store, spec.flow, key) : undefined;
    if (source && transitionHolds(source, io)) {
      const { record, logs } = await reuseResults(store, spec, source, key);
      io.onReused?.(record.reusedFrom!, logs);
      return { record };
    }
    const outcome = await this.#inner.execute(spec, step, io);
    if (mayRecord(policy, outcome)) await store.putCachedTask(spec.flow, key, outcome.record);
    return outcome;
  }

  interruptAll(): void {
    this.#inner.interruptAll();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

/** The same code takes the same transition; checked anyway, since the graph is read separately. */
function transitionHolds(source: TaskOutcome["record"], io: TaskExecution): boolean {
  try {
    io.checkTransition?.(source.next);
    return true;
  } catch {
    return false;
  }
}

/** The fingerprints of a flow file's steps: isolate steps from its isolate bundle, process steps from its process bundle. */
export function flowFileFingerprints(file: string): CachingExecutorOptions["fingerprints"] {
  return async (steps) => {
    const names = (target: "isolate" | "process") => steps.filter((s) => (s.options.isolation ?? "isolate") === target).map((s) => s.name);
    const [isolate, process] = [names("isolate"), names("process")];
    const parts = await Promise.all([
      isolate.length ? flowStepFingerprints(file, "isolate", isolate) : {},
      process.length ? flowStepFingerprints(file, "process", process) : {},
    ]);
    return Object.assign({}, ...parts);
  };
}
