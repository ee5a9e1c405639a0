/**
 * Task reuse in a notebook (`%cache on`, the default): a step cell's task is reused, instead of
 * run, when an earlier task of the flow had the same key — the same cell code (its module: the
 * body, the setup declarations it reaches, the parameters it reads; and its foreach directive),
 * the same parents' artifacts, foreach item and step options. The task cache of `run --cache`
 * (runtime/executor's CachingExecutor) decides; this gives it each cell's fingerprint.
 */
import { createHash } from "node:crypto";
import type { Store, TaskRecord } from "../../store/index.js";
import { bundleStepFingerprints, type FlowBundle } from "../bundle/index.js";
import {
  CachingExecutor,
  cachePolicy,
  findReusable,
  taskCacheKey,
  type StepPolicy,
  type TaskExecutor,
  type TaskSpec,
} from "../executor/index.js";
import { memoize } from "../support/index.js";
import { CELL_METHOD } from "./cell-module.js";

/** Fingerprints of compiled cells kept (a cell's module is compiled once per source, see cell-bundles.ts). */
const FINGERPRINTS_KEPT = 64;

const methodFingerprint = memoize(
  (code: string) =>
    bundleStepFingerprints(code, [CELL_METHOD]).then((f) => {
      const fingerprint = f[CELL_METHOD];
      if (fingerprint === undefined) throw new Error("no fingerprint for the cell's method");
      return fingerprint;
    }),
  FINGERPRINTS_KEPT,
);

/** The fingerprint of the code a cell runs: its module's code for its method, and what it iterates over. */
export async function cellFingerprint(bundle: FlowBundle, iterates: string | undefined): Promise<string> {
  const code = await methodFingerprint(bundle.code);
  return createHash("sha256")
    .update(`${code}\0foreach\0${iterates ?? ""}`)
    .digest("hex");
}

export class CellCache {
  /** `%cache on|off`: reuse unchanged tasks (tasks are recorded for later reuse either way). */
  on = true;
  readonly executor: CachingExecutor;
  /** Each step's fingerprint, as its cell was last prepared. */
  readonly #fingerprints = new Map<string, string>();

  constructor(
    private readonly store: Store,
    inner: TaskExecutor,
  ) {
    this.executor = new CachingExecutor(inner, {
      store,
      reuse: () => this.on,
      fingerprints: async (steps) =>
        Object.fromEntries(steps.flatMap((s) => (this.#fingerprints.has(s.name) ? [[s.name, this.#fingerprints.get(s.name)!]] : []))),
    });
  }

  /** Before a cell's tasks run through `executor`: the fingerprint of the code they run. */
  async prepare(policy: StepPolicy, bundle: FlowBundle, iterates: string | undefined): Promise<void> {
    this.#fingerprints.delete(policy.name);
    if (cachePolicy(policy.options) !== "never") {
      // The cache must never be why a cell fails: without a fingerprint its tasks run, unrecorded.
      const fingerprint = await cellFingerprint(bundle, iterates).catch(() => undefined);
      if (fingerprint) this.#fingerprints.set(policy.name, fingerprint);
    }
    await this.executor.prepare([policy]);
  }

  /** Reuse is on, and the cell does not opt out (`cache=false`, or a process cell without `cache=true`). */
  mayReuse(policy: StepPolicy): boolean {
    return this.on && cachePolicy(policy.options) !== "never";
  }

  /**
   * The tasks that would be reused for `specs` (a cell's planned tasks), or undefined when one of
   * them would run: reuse is off, the cell opts out, or a key has no reusable task.
   */
  reusable(specs: readonly TaskSpec[], policy: StepPolicy, fingerprint: string): TaskRecord[] | undefined {
    if (!this.mayReuse(policy)) return undefined;
    const sources: TaskRecord[] = [];
    for (const spec of specs) {
      const source = findReusable(this.store, spec.flow, taskCacheKey(spec, fingerprint, policy.options));
      if (!source) return undefined;
      sources.push(source);
    }
    return sources;
  }
}
