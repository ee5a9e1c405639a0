/**
 * The default sandbox: each task runs in a fresh isolated-vm context of a reused isolate. The
 * isolate bounds memory; disposing it stops any code, even `while (true) {}`.
 */
import { randomBytes } from "node:crypto";
import { formatWithOptions } from "node:util";
import ivm from "isolated-vm";
import { encodeArtifact, typeName } from "../../../store/index.js";
import { guestRuntimeCode, type FlowBundle } from "../../bundle/index.js";
import type { StoreReader } from "../../client/reader.js";
import { TaskInterruptedError, TaskMemoryError, TaskTimeoutError } from "../errors.js";
import { rebuildUserError } from "../rebuild-error.js";
import { StackMapper } from "../stack.js";
import type { EncodedArtifact, Sandbox, TaskIO, TaskLimits, TaskRequest, TaskResult } from "../types.js";
import { preludeCode } from "./prelude-code.js";

export const DEFAULT_MEMORY_MB = 2048;
/** Fresh contexts kept ready between tasks. */
const WARM_CONTEXTS = 2;

/** V8 code caches by source, so each new isolate skips compiling the prelude and the flow again. */
const codeCache = new Map<string, ivm.ExternalCopy<ArrayBuffer>>();

async function compileCached(isolate: ivm.Isolate, code: string, filename: string): Promise<ivm.Script> {
  const cachedData = codeCache.get(code);
  const script = (await isolate.compileScript(code, { filename, cachedData, produceCachedData: !cachedData })) as ivm.Script &
    ivm.CachedDataResult & { cachedDataRejected?: boolean };
  if (!cachedData && script.cachedData) codeCache.set(code, script.cachedData);
  else if (cachedData && script.cachedDataRejected) codeCache.delete(code);
  return script;
}

const READER_METHODS = [
  "listFlows",
  "listRuns",
  "getRun",
  "listSteps",
  "listTasks",
  "listRunTasks",
  "getTask",
  "getLogs",
  "loadBlob",
] as const satisfies readonly (keyof StoreReader)[];

type StopReason = "interrupt" | "timeout" | undefined;

/** What a context's bridge callbacks reach while a task runs in it. */
interface TaskHooks {
  io: TaskIO;
  artifacts: Map<string, EncodedArtifact>;
  setTimer(id: number, ms: number): void;
  clearTimer(id: number): void;
}

/**
 * Runs a task in a context where the bundle has been evaluated. Compiled once per isolate and
 * called through a reference, so a task does not compile a closure in its fresh context.
 */
const RUNNER_CODE = `(function steplabRunTask(className, request) {
  const mod = globalThis.__steplabFlowModule;
  const cls = mod && mod[className];
  if (typeof cls !== "function") throw new Error("The flow file does not export the class " + className);
  return globalThis.__steplabGuest.runStep(cls, request);
})`;

/** What a fresh context runs before a task: the prelude, the task runner, and for notebook cells the guest runtime. */
interface ContextScripts {
  prelude: ivm.Script;
  runner: ivm.Script;
  runtime?: ivm.Script;
}

interface WarmContext {
  isolate: ivm.Isolate;
  context: ivm.Context;
  fire: ivm.Reference;
  runner: ivm.Reference;
  slot: { task?: TaskHooks };
  withRuntime: boolean;
}

export class IsolateSandbox implements Sandbox {
  readonly kind = "isolate" as const;
  private isolate?: ivm.Isolate;
  private memoryMb = 0;
  private scripts?: { prelude: ivm.Script; runner: ivm.Script; runtime?: ivm.Script; bundle?: ivm.Script };
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

  private async ready(memoryMb: number): Promise<{ isolate: ivm.Isolate; contextScripts: ContextScripts; bundle: ivm.Script }> {
    if (!this.isolate || this.isolate.isDisposed || this.memoryMb !== memoryMb || !this.scripts) {
      if (this.isolate && !this.isolate.isDisposed) this.isolate.dispose();
      this.isolate = new ivm.Isolate({ memoryLimit: memoryMb });
      this.memoryMb = memoryMb;
      // The prelude's completion value is the timer entry point, so running it hands us a reference.
      this.compiledBundles.clear();
      this.scripts = {
        prelude: await compileCached(this.isolate, `${await preludeCode()}\n;globalThis.__steplabFire;`, "steplab:prelude"),
        runner: await this.isolate.compileScript(RUNNER_CODE, { filename: "steplab:runner" }),
      };
    }
    const scripts = this.scripts;
    if (this.bundle.externalRuntime && !scripts.runtime) {
      scripts.runtime = await compileCached(this.isolate, await guestRuntimeCode(), "steplab:runtime");
    }
    if (!scripts.bundle) {
      scripts.bundle = await compileCached(this.isolate, this.bundle.code, this.bundle.filename);
      if (this.compiledBundles.size >= 64) this.compiledBundles.clear();
      this.compiledBundles.set(this.bundle.code, scripts.bundle);
    }
    return { isolate: this.isolate, contextScripts: this.contextScripts(scripts), bundle: scripts.bundle };
  }

  private contextScripts(scripts: NonNullable<IsolateSandbox["scripts"]>): ContextScripts {
    const runtime = this.bundle.externalRuntime ? scripts.runtime : undefined;
    return { prelude: scripts.prelude, runner: scripts.runner, runtime };
  }

  /**
   * Contexts made ready (bridge, prelude, runtime) while the sandbox was idle, oldest first. Two,
   * so that a task arriving while the next one is still being prepared finds one ready.
   */
  private warm: Promise<WarmContext | undefined>[] = [];

  /**
   * A fresh context with the host bridge, the prelude and (for notebook cells) the guest runtime
   * already run. Its callbacks reach the task through `slot`, so it can be prepared before the
   * task exists: right after the previous task, while the host commits and replies.
   */
  private async prepareContext(isolate: ivm.Isolate, { prelude, runner, runtime }: ContextScripts): Promise<WarmContext> {
    const context = await isolate.createContext();
    const slot: { task?: TaskHooks } = {};
    const task = (): TaskHooks => {
      if (!slot.task) throw new Error("steplab: this context has no running task");
      return slot.task;
    };
    const print = (stream: "stdout" | "stderr", text: string) => task().io.output(stream, text.endsWith("\n") ? text : `${text}\n`);
    const bridge: Record<string, ivm.Callback | ivm.Reference> = {
      loadBlob: new ivm.Callback((sha: string) => task().io.reader.loadBlob(sha)),
      emit: new ivm.Callback((name: string, value: unknown) => {
        task().artifacts.set(name, { bytes: encodeArtifact(value), type: typeName(value) });
      }),
      log: new ivm.Callback((stream: "stdout" | "stderr", args: unknown[]) =>
        print(stream, formatWithOptions({ colors: false, depth: 4 }, ...args)),
      ),
      logText: new ivm.Callback((stream: "stdout" | "stderr", text: string) => print(stream, text)),
      setTimer: new ivm.Callback((id: number, ms: number) => task().setTimer(id, ms)),
      clearTimer: new ivm.Callback((id: number) => task().clearTimer(id)),
      randomBytes: new ivm.Callback((n: number) => new Uint8Array(randomBytes(n))),
      encodeUtf8: new ivm.Callback((text: string) => new Uint8Array(Buffer.from(text, "utf8"))),
      decodeText: new ivm.Callback((bytes: Uint8Array, label: string, fatal: boolean) =>
        new TextDecoder(label, { fatal }).decode(bytes),
      ),
      // Notebook helpers: a flow's task has none, and says so when its code calls them.
      result: new ivm.Callback((value: unknown) => task().io.result?.(value)),
      display: new ivm.Callback((kind: string, data: unknown, options: { displayId?: string; update?: boolean }) => {
        const io = task().io;
        if (io.display) io.display(kind, data, options);
        else print("stdout", formatWithOptions({ colors: false, depth: 4 }, data));
      }),
      // Host functions that answer later travel as References: the prelude awaits their promise.
      runFlow: new ivm.Reference((file: string, params: Record<string, unknown>) => {
        const io = task().io;
        if (!io.runFlow) throw new Error("runFlow() is available in notebook cells");
        return io.runFlow(file, params);
      }),
      prompt: new ivm.Reference((text: string, password: boolean) => {
        const io = task().io;
        if (!io.prompt) throw new Error("prompt() needs a front end that can ask for input");
        return io.prompt(text, password);
      }),
    };
    const readerCallbacks = READER_METHODS.map((m) => new ivm.Callback((...args: unknown[]) => (task().io.reader[m] as any)(...args)));
    // One call installs every callback; the prelude collects them into its bridge and deletes them.
    const names = [...Object.keys(bridge).map((n) => `__sb_${n}`), ...READER_METHODS.map((n) => `__sbr_${n}`)];
    await context.evalClosure(
      names.map((n, i) => `globalThis.${n} = $${i};`).join("\n"),
      [...Object.values(bridge), ...readerCallbacks],
    );
    const fire = (await prelude.run(context, { reference: true })) as ivm.Reference;
    if (runtime) await runtime.run(context);
    const runTask = (await runner.run(context, { reference: true })) as ivm.Reference;
    return { isolate, context, fire, runner: runTask, slot, withRuntime: Boolean(runtime) };
  }

  /**
   * Prepares the next context once the current turn of the event loop is over: after the host has
   * committed the task and the front end has sent its reply, which it would otherwise delay.
   */
  private prewarmSoon(): void {
    setImmediate(() => this.prewarm());
  }

  private prewarm(): void {
    const { isolate, scripts } = this;
    if (this.busy || !isolate || isolate.isDisposed || !scripts) return;
    while (this.warm.length < WARM_CONTEXTS) {
      this.warm.push(this.prepareContext(isolate, this.contextScripts(scripts)).catch(() => undefined));
    }
  }

  private async takeContext(isolate: ivm.Isolate, scripts: ContextScripts): Promise<WarmContext> {
    const usable = (w: WarmContext | undefined): w is WarmContext =>
      w !== undefined && w.isolate === isolate && !isolate.isDisposed && w.withRuntime === Boolean(scripts.runtime);
    const first = await this.warm.shift();
    if (usable(first)) return first;
    // Prepared for another isolate or kind of bundle: none of them will do.
    for (const w of [first, ...(await Promise.all(this.warm.splice(0)))]) {
      if (w && !w.isolate.isDisposed) w.context.release();
    }
    return this.prepareContext(isolate, scripts);
  }

  /** True from the start of runTask to its end: an interrupt in any phase stops the task. */
  private busy = false;

  async runTask(request: TaskRequest, io: TaskIO, limits: TaskLimits = {}): Promise<TaskResult> {
    const memoryMb = limits.memoryMb ?? DEFAULT_MEMORY_MB;
    this.busy = true;
    this.stopReason = undefined;
    let ready: Awaited<ReturnType<IsolateSandbox["ready"]>>;
    try {
      ready = await this.ready(memoryMb);
    } catch (err) {
      this.busy = false;
      throw this.translate(err, request.step, memoryMb, limits.timeoutSeconds);
    }
    const { isolate, contextScripts, bundle } = ready;
    const artifacts = new Map<string, EncodedArtifact>();
    const timers = new Map<number, NodeJS.Timeout>();
    let watchdog: NodeJS.Timeout | undefined;
    let lingering = false;
    let onTimersDrained: (() => void) | undefined;
    const drained = () => {
      if (timers.size === 0) onTimersDrained?.();
    };
    let warm: WarmContext | undefined;
    try {
      warm = await this.takeContext(isolate, contextScripts);
      const { context, fire, runner } = warm;
      warm.slot.task = {
        io,
        artifacts,
        setTimer: (id, ms) => {
          timers.set(
            id,
            setTimeout(() => {
              timers.delete(id);
              fire.apply(undefined, [id]).then(drained, drained);
            }, ms),
          );
        },
        clearTimer: (id) => {
          clearTimeout(timers.get(id));
          timers.delete(id);
          drained();
        },
      };
      // Declarations take microseconds: evaluated in place, they save a round trip to the isolate's thread.
      if (this.bundle.declarationsOnly) bundle.runSync(context);
      else await bundle.run(context);
      const stopped = new Promise<never>((_, reject) => {
        this.rejectRunning = reject;
        if (limits.timeoutSeconds) {
          watchdog = setTimeout(() => this.stop("timeout"), limits.timeoutSeconds * 1000);
        }
      });
      const run = runner.apply(undefined, [this.flowClassName, request], {
        arguments: { copy: true },
        result: { promise: true, copy: true },
      });
      const outcome = (await Promise.race([run, stopped])) as TaskResult["outcome"];
      if (outcome.value) {
        io.result?.(outcome.value.primitive);
        delete outcome.value;
      }
      if (limits.lingerMs && timers.size > 0) {
        lingering = true;
        const deadline = setTimeout(() => release(), limits.lingerMs);
        onTimersDrained = () => {
          clearTimeout(deadline);
          release();
        };
      }
      return { outcome, artifacts, pid: process.pid };
    } catch (err) {
      throw this.translate(err, request.step, memoryMb, limits.timeoutSeconds);
    } finally {
      this.busy = false;
      this.rejectRunning = undefined;
      clearTimeout(watchdog);
      if (!lingering) release();
      this.prewarmSoon();
    }
    function release(): void {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      onTimersDrained = undefined;
      if (!warm) return;
      warm.slot.task = undefined;
      try {
        warm.fire.release();
        warm.runner.release();
        if (!isolate.isDisposed) warm.context.release();
      } catch {
        // already released with its isolate
      }
    }
  }

  private rejectRunning?: (err: unknown) => void;

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
