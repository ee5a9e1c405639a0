/**
 * The local executor: each attempt runs here, in a sandbox of this process (an isolate, or a
 * `process` step's child). `run`, `resume`, the `step` command, a queue worker and a notebook
 * session all run their tasks through one.
 */
import { storeReader, type Store, type StoreReader } from "../../store/index.js";
import { TaskInterruptedError, type TaskLimits } from "../sandbox/index.js";
import { runAttempt, startingRecord, toTaskError } from "./attempt.js";
import { runAttempts } from "./attempts.js";
import type { SandboxSource } from "./sandbox-pool.js";
import type { StepPolicy, TaskExecution, TaskExecutor, TaskOutcome, TaskSpec } from "./types.js";

export interface LocalExecutorOptions {
  store: Store;
  /** A SandboxPool for a flow file; a notebook session's cell sandbox. */
  sandboxes: SandboxSource;
  reader?: StoreReader;
  /** Limits for steps that set none (a notebook's cell memory, how long a cell's timers may print). */
  defaults?: TaskLimits;
  /** Commit a "running" record before each attempt (default true; notebook cells skip it). */
  recordRunning?: boolean;
}

export class LocalExecutor implements TaskExecutor {
  readonly #opts: LocalExecutorOptions;
  readonly #reader: StoreReader;
  /** Tasks executing now; an interrupt marks them so that no further attempt starts. */
  readonly #running = new Set<{ interrupted: boolean }>();

  constructor(opts: LocalExecutorOptions) {
    this.#opts = opts;
    this.#reader = opts.reader ?? storeReader(opts.store);
  }

  prepare(steps: readonly StepPolicy[]): Promise<void> {
    return this.#opts.sandboxes.prepare(steps);
  }

  async execute(spec: TaskSpec, step: StepPolicy, io: TaskExecution): Promise<TaskOutcome> {
    const token = { interrupted: false };
    this.#running.add(token);
    try {
      return await runAttempts(spec, step, io, this.#opts.store, (attempt) =>
        token.interrupted ? this.#interrupted(spec, attempt) : this.attempt(spec, step, io, attempt),
      );
    } finally {
      this.#running.delete(token);
    }
  }

  /** One attempt, committed: no retries, no catch (a queue worker runs each attempt it is sent). */
  async attempt(spec: TaskSpec, step: StepPolicy, io: TaskExecution, attempt = spec.attempt ?? 0): Promise<TaskOutcome> {
    const { store, sandboxes, defaults = {} } = this.#opts;
    const sandbox = await sandboxes.acquire(step);
    try {
      const limits: TaskLimits = {
        ...defaults,
        memoryMb: step.options.memoryMb ?? defaults.memoryMb,
        timeoutSeconds: step.options.timeoutSeconds ?? defaults.timeoutSeconds,
      };
      return await runAttempt(spec, attempt, { store, reader: this.#reader, sandbox, limits, io, recordRunning: this.#opts.recordRunning });
    } finally {
      sandboxes.release(sandbox);
    }
  }

  /** Interrupted between two attempts: the task ends failed without starting another. */
  async #interrupted(spec: TaskSpec, attempt: number): Promise<TaskOutcome> {
    const error = new TaskInterruptedError(spec.step);
    const record = { ...startingRecord(spec, "failed", attempt), finishedAt: Date.now(), error: toTaskError(error) };
    await this.#opts.store.commitTask({ task: record, blobs: new Map() });
    return { record, error };
  }

  interruptAll(): void {
    for (const token of this.#running) token.interrupted = true;
    this.#opts.sandboxes.interruptAll();
  }

  close(): Promise<void> {
    return this.#opts.sandboxes.dispose();
  }
}
