/**
 * The default sandbox: each task runs in a fresh isolated-vm context of a reused isolate. The
 * isolate bounds memory; disposing it stops any code, even `while (true) {}`.
 */
import ivm from "isolated-vm";
import { guestRuntimeCode, type FlowBundle } from "../../bundle/index.js";
import { TaskInterruptedError, TaskMemoryError, TaskStalledError, TaskTimeoutError, withPartialArtifacts } from "../errors.js";
import { rebuildUserError } from "../rebuild-error.js";
import { CONTEXT_SCRIPT, StackMapper } from "../stack.js";
import type { EncodedArtifact, Sandbox, TaskIO, TaskLimits, TaskRequest, TaskResult } from "../types.js";
import { compileCached } from "./code-cache.js";
import { BRIDGE_COPY_LIMIT } from "./copy-bound.js";
import { installBridge, type TaskHooks } from "./host-calls.js";
import { preludeCode } from "./prelude-code.js";

export const DEFAULT_MEMORY_MB = 2048;
/**
 * An isolate whose heap holds more than this after a task is replaced after it: what the finished task
 * left (a million rows it built) would otherwise stay until V8 collects the isolate's heap, which
 * it may put off while the next task builds its own. A new isolate costs a few milliseconds.
 */
const RECYCLE_HEAP_BYTES = 128 * 1024 * 1024;
/** Fresh contexts kept ready between tasks. */
const WARM_CONTEXTS = 2;

type StopReason = "interrupt" | "timeout" | undefined;

/** Frees buffers a context moved out, now (their memory goes back without waiting for a collection). */
function freeMoved(buffers: ArrayBuffer[]): void {
  for (const buffer of buffers.splice(0)) {
    if (buffer.byteLength > 0) new ivm.ExternalCopy(buffer, { transferOut: true }).release();
  }
}

/**
 * Ends the script that sets up a fresh context (prelude, then for notebook cells the guest
 * runtime). Its value is the one function the host calls in the context: to fire a timer, or to
 * run the task once the bundle has been evaluated. One script and one reference per context keep
 * the round trips to the isolate's thread, which cost more than the work here, to a minimum.
 */
const ENTRY_CODE = `;(() => {
  const fire = globalThis.__steplabFire;
  const sendMoved = globalThis.__steplabSendMoved;
  delete globalThis.__steplabSendMoved;
  return function steplabEntry(kind, a, b) {
    if (kind === "fire") return fire(a);
    if (kind === "settle") return;
    const mod = globalThis.__steplabFlowModule;
    const cls = mod && mod[a];
    if (typeof cls !== "function") throw new Error("The flow file does not export the class " + a);
    return globalThis.__steplabGuest.runStep(cls, b).then(
      (outcome) => (sendMoved(), outcome),
      (err) => { sendMoved(); throw err; },
    );
  };
})();`;

/** The context setup script for a kind of bundle (with the guest runtime or without). */
interface ContextSetup {
  script: ivm.Script;
  withRuntime: boolean;
}

interface WarmContext {
  isolate: ivm.Isolate;
  context: ivm.Context;
  entry: ivm.Reference;
  slot: { task?: TaskHooks };
  withRuntime: boolean;
}

export class IsolateSandbox implements Sandbox {
  readonly kind = "isolate" as const;
  private isolate?: ivm.Isolate;
  private memoryMb = 0;
  private scripts?: { setup?: ivm.Script; setupWithRuntime?: ivm.Script; bundle?: ivm.Script };
  private stopReason: StopReason;
  private mapper: StackMapper;

  constructor(
    private bundle: FlowBundle,
    private readonly flowClassName: string,
  ) {
    this.mapper = new StackMapper(bundle.filename, bundle.map);
  }

  /** Scripts compiled in the current isolate, by code (a notebook re-runs the same cells). */
  private readonly compiledBundles = new Map<string, ivm.Script>();

  /** Runs later tasks from another bundle in the same isolate (a notebook's next cell). */
  setBundle(bundle: FlowBundle): void {
    if (bundle.code === this.bundle.code) return;
    this.bundle = bundle;
    this.mapper = new StackMapper(bundle.filename, bundle.map);
    if (this.scripts) this.scripts.bundle = this.compiledBundles.get(bundle.code);
  }

  private async ready(memoryMb: number): Promise<{ isolate: ivm.Isolate; setup: ContextSetup; bundle: ivm.Script }> {
    if (!this.isolate || this.isolate.isDisposed || this.memoryMb !== memoryMb || !this.scripts) {
      if (this.isolate && !this.isolate.isDisposed) this.isolate.dispose();
      this.isolate = new ivm.Isolate({ memoryLimit: memoryMb });
      this.memoryMb = memoryMb;
      this.compiledBundles.clear();
      this.scripts = {};
    }
    const scripts = this.scripts;
    const withRuntime = Boolean(this.bundle.externalRuntime);
    const setupKey = withRuntime ? "setupWithRuntime" : "setup";
    if (!scripts[setupKey]) {
      const code = [await preludeCode(), withRuntime ? await guestRuntimeCode() : "", ENTRY_CODE].join("\n");
      scripts[setupKey] = await compileCached(this.isolate, code, CONTEXT_SCRIPT);
    }
    if (!scripts.bundle) {
      scripts.bundle = await compileCached(this.isolate, this.bundle.code, this.bundle.filename);
      if (this.compiledBundles.size >= 64) this.compiledBundles.clear();
      this.compiledBundles.set(this.bundle.code, scripts.bundle);
    }
    return { isolate: this.isolate, setup: this.currentSetup()!, bundle: scripts.bundle };
  }

  /** The setup for the current bundle's kind, if compiled in the current isolate. */
  private currentSetup(): ContextSetup | undefined {
    const withRuntime = Boolean(this.bundle.externalRuntime);
    const script = withRuntime ? this.scripts?.setupWithRuntime : this.scripts?.setup;
    return script && { script, withRuntime };
  }

  /**
   * Contexts made ready (bridge, prelude, runtime) while the sandbox was idle, oldest first. Two,
   * so that a task arriving while the next one is still being prepared finds one ready.
   */
  private warm: Promise<WarmContext | undefined>[] = [];

  /**
   * A fresh context with the host bridge, the prelude and (for notebook cells) the guest runtime
   * already run. Its callbacks reach the task through `slot`, so it can be prepared before the
   * task exists: once the previous task has been committed and answered.
   */
  private async prepareContext(isolate: ivm.Isolate, setup: ContextSetup): Promise<WarmContext> {
    const context = await isolate.createContext();
    const slot: { task?: TaskHooks } = {};
    installBridge(context, slot);
    context.global.setSync(BRIDGE_COPY_LIMIT, this.memoryMb * 2 ** 20);
    const entry = (await setup.script.run(context, { reference: true })) as ivm.Reference;
    return { isolate, context, entry, slot, withRuntime: setup.withRuntime };
  }

  /**
   * Prepares the next context once the current turn of the event loop is over: after the host has
   * committed the task and the front end has sent its reply, which it would otherwise delay.
   */
  private prewarmSoon(): void {
    setImmediate(() => {
      const { isolate } = this;
      if (!isolate || isolate.isDisposed || this.busy) return;
      // Asked on the isolate's thread, so that the task's caller does not wait for the answer.
      isolate.getHeapStatistics().then(
        (heap) => {
          if (heap.total_heap_size > RECYCLE_HEAP_BYTES) this.recycle(isolate);
          this.prewarm();
        },
        () => undefined, // disposed meanwhile
      );
    });
  }

  /** Tasks whose context stays while their timers run (a notebook cell's). */
  private lingering = 0;

  /** Replaces a heavy isolate, unless a task runs in it (then after that one). */
  private recycle(isolate: ivm.Isolate): void {
    if (this.busy || this.lingering > 0 || isolate !== this.isolate || isolate.isDisposed) return;
    this.warm = [];
    isolate.dispose();
  }

  private prewarm(): void {
    const { isolate } = this;
    const setup = this.currentSetup();
    if (this.busy || !isolate || isolate.isDisposed || !setup) return;
    while (this.warm.length < WARM_CONTEXTS) {
      this.warm.push(this.prepareContext(isolate, setup).catch(() => undefined));
    }
  }

  private async takeContext(isolate: ivm.Isolate, setup: ContextSetup): Promise<WarmContext> {
    const usable = (w: WarmContext | undefined): w is WarmContext =>
      w !== undefined && w.isolate === isolate && !isolate.isDisposed && w.withRuntime === setup.withRuntime;
    const first = await this.warm.shift();
    if (usable(first)) return first;
    // Prepared for another isolate or kind of bundle: none of them will do.
    for (const w of [first, ...(await Promise.all(this.warm.splice(0)))]) {
      if (w && !w.isolate.isDisposed) w.context.release();
    }
    return this.prepareContext(isolate, setup);
  }

  /** True from the start of runTask to its end: an interrupt in any phase stops the task. */
  private busy = false;

  async runTask(request: TaskRequest, io: TaskIO, limits: TaskLimits = {}): Promise<TaskResult> {
    const memoryMb = limits.memoryMb ?? DEFAULT_MEMORY_MB;
    const sandbox = this; // for release(), which may run after this call returns
    this.busy = true;
    this.stopReason = undefined;
    let ready: Awaited<ReturnType<IsolateSandbox["ready"]>>;
    try {
      ready = await this.ready(memoryMb);
    } catch (err) {
      this.busy = false;
      throw this.translate(err, request.step, memoryMb, limits.timeoutSeconds);
    }
    const { isolate, setup, bundle } = ready;
    const artifacts = new Map<string, EncodedArtifact>();
    const timers = new Map<number, NodeJS.Timeout>();
    let watchdog: NodeJS.Timeout | undefined;
    let lingering = false;
    let onTimersDrained: (() => void) | undefined;
    const drained = () => {
      if (timers.size === 0) onTimersDrained?.();
    };
    let warm: WarmContext | undefined;
    let onStalled: (() => void) | undefined;
    let hooks: TaskHooks | undefined;
    try {
      warm = await this.takeContext(isolate, setup);
      const { context, entry } = warm;
      hooks = {
        io,
        artifacts,
        movedIn: [],
        loaded: new Set(),
        order: [],
        waiting: new Map(),
        memoryBytes: memoryMb * 2 ** 20,
        pendingTimers: () => timers.size,
        setTimer: (id, ms) => {
          clearTimeout(timers.get(id));
          timers.set(
            id,
            setTimeout(() => {
              timers.delete(id);
              entry.apply(undefined, ["fire", id]).then(drained, (err: unknown) => {
                // The prelude catches what a callback throws: this is a promise rejected with no handler.
                if (!isolate.isDisposed && !hooks?.ended) this.reportUnhandled(io, err);
                drained();
              });
            }, ms),
          );
        },
        clearTimer: (id) => {
          clearTimeout(timers.get(id));
          timers.delete(id);
          drained();
        },
      };
      warm.slot.task = hooks;
      // Declarations take microseconds: evaluated in place, they save a round trip to the isolate's thread.
      if (this.bundle.declarationsOnly) bundle.runSync(context);
      else await bundle.run(context);
      const stopped = new Promise<never>((_, reject) => {
        this.rejectRunning = reject;
        if (limits.timeoutSeconds) {
          watchdog = setTimeout(() => this.stop("timeout"), limits.timeoutSeconds * 1000);
        }
      });
      const run = entry.apply(undefined, ["run", this.flowClassName, request], {
        arguments: { copy: true },
        result: { promise: true, copy: true },
      });
      // The event loop ran dry while the step's promise is pending: no timer or host call is left
      // that could settle it (isolated-vm holds none), and Node would exit without a word.
      onStalled = () => this.rejectRunning?.(Object.assign(new Error("stalled"), { stalled: true }));
      process.once("beforeExit", onStalled);
      const outcome = (await Promise.race([run, stopped])) as TaskResult["outcome"];
      // A failed step answers with its error as data (its code included); rebuilt by translate().
      if (outcome.failure) throw outcome.failure;
      if (outcome.value) {
        io.result?.(outcome.value.primitive);
        delete outcome.value;
      }
      if (limits.lingerMs && timers.size > 0) {
        lingering = true;
        this.lingering++;
        const deadline = setTimeout(() => release(), limits.lingerMs);
        onTimersDrained = () => {
          clearTimeout(deadline);
          release();
        };
      }
      const moved = hooks.movedIn;
      return { outcome, artifacts, pid: process.pid, release: () => freeMoved(moved) };
    } catch (err) {
      throw withPartialArtifacts(this.translate(err, request.step, memoryMb, limits.timeoutSeconds), artifacts);
    } finally {
      this.busy = false;
      this.rejectRunning = undefined;
      if (onStalled) process.off("beforeExit", onStalled);
      clearTimeout(watchdog);
      if (!lingering) {
        if (hooks) hooks.ended = true;
        if (hooks?.waited && warm && !isolate.isDisposed) await this.settleStray(warm.entry, io);
        release();
      }
      this.prewarmSoon();
    }
    function release(): void {
      if (lingering) {
        lingering = false;
        sandbox.lingering--;
      }
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      onTimersDrained = undefined;
      if (!warm) return;
      warm.slot.task = undefined;
      try {
        warm.entry.release();
        if (!isolate.isDisposed) warm.context.release();
      } catch {
        // already released with its isolate
      }
    }
  }

  private rejectRunning?: (err: unknown) => void;

  /**
   * Answers to a finished task's later calls (runFlow, prompt) that were already on their way when
   * it ended land in its context now, not in the next task's: a rejection nobody handled is
   * reported in this task's output (isolated-vm would throw it at the next task's first call).
   */
  private async settleStray(entry: ivm.Reference, io: TaskIO): Promise<void> {
    try {
      await entry.apply(undefined, ["settle"]);
    } catch (err) {
      this.reportUnhandled(io, err);
    }
  }

  private reportUnhandled(io: TaskIO, err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    io.output("stderr", `Unhandled promise rejection: ${this.mapper.format(e.name || "Error", e.message, e.stack)}\n`);
  }

  private stop(reason: Exclude<StopReason, undefined>): void {
    this.stopReason = reason;
    if (this.isolate && !this.isolate.isDisposed) this.isolate.dispose();
    this.rejectRunning?.(new Error("stopped"));
  }

  interrupt(): void {
    if (this.busy) this.stop("interrupt");
  }

  private translate(err: unknown, step: string, memoryMb: number, timeoutSeconds?: number): Error {
    if (this.stopReason === "interrupt") return new TaskInterruptedError(step);
    if (this.stopReason === "timeout") return new TaskTimeoutError(step, timeoutSeconds ?? 0);
    if ((err as { stalled?: boolean } | null)?.stalled) return new TaskStalledError(step);
    const message = err instanceof Error ? err.message : String(err);
    if (/memory limit/i.test(message) || (this.isolate?.isDisposed && /disposed/i.test(message))) {
      return new TaskMemoryError(step, memoryMb);
    }
    return rebuildUserError(err, this.mapper);
  }

  async dispose(): Promise<void> {
    this.warm = [];
    if (this.isolate && !this.isolate.isDisposed) this.isolate.dispose();
    this.isolate = undefined;
  }
}
