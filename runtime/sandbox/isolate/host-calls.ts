/**
 * What the host answers when guest code calls the bridge (bridge.ts). Guest code can reach these
 * functions with any arguments (the prelude's wrappers are only a convenience), so each one checks
 * the types it gets and bounds what it allocates on the guest's behalf: the isolate's memory limit
 * must not be sidestepped by asking the host to allocate instead. Arguments arrive as copies
 * (isolated-vm copies them out of the isolate), so each is read exactly once.
 */
import { randomBytes } from "node:crypto";
import { formatWithOptions } from "node:util";
import ivm from "isolated-vm";
import { encodeWire, typeName, type WireValue } from "../../../store/index.js";
import type { EncodedArtifact, TaskIO } from "../types.js";
import { BRIDGE_CALL, BRIDGE_IVM, BRIDGE_WAIT, READER_METHODS, type BridgeCalls, type BridgeWaits } from "./bridge.js";
import { awaitsBuffers, handOver, receive, takeOver, type ExternalCopyClass } from "./handover.js";

/** crypto.getRandomValues' own bound (the Web Crypto spec's QuotaExceededError). */
export const MAX_RANDOM_BYTES = 65_536;
/** Timers one task may have pending at once. */
export const MAX_PENDING_TIMERS = 100_000;
/** setTimeout's delay is a signed 32-bit count of ms, as in browsers and Node. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** What a context's bridge callbacks reach while a task runs in it. */
export interface TaskHooks {
  io: TaskIO;
  artifacts: Map<string, EncodedArtifact>;
  /** Buffers the task's context moved out to the host, by the index the context gave them. */
  movedIn: ArrayBuffer[];
  /** The blobs the task read: an artifact handed back unchanged is one of them. */
  loaded: Set<string>;
  /** Artifacts in the order the step set them, and those waiting for their buffers. */
  order: string[];
  waiting: Map<string, WireValue>;
  /** The isolate's memory limit in bytes: no single answer may be larger. */
  memoryBytes: number;
  pendingTimers(): number;
  setTimer(id: number, ms: number): void;
  clearTimer(id: number): void;
  /** Set once the task made a call answered later (its answer may outlive the task). */
  waited?: boolean;
  /** Set when the task is over: answers still on their way are dropped, never delivered. */
  ended?: boolean;
}

function stream(value: unknown): "stdout" | "stderr" {
  if (value !== "stdout" && value !== "stderr") throw new TypeError("steplab: output goes to stdout or stderr");
  return value;
}

function text(value: unknown, what: string): string {
  if (typeof value !== "string") throw new TypeError(`steplab: ${what} must be a string`);
  return value;
}

function timerId(value: unknown): number {
  if (!Number.isSafeInteger(value)) throw new TypeError("steplab: a timer id is an integer");
  return value as number;
}

function delay(value: unknown): number {
  const ms = Number(value);
  return Number.isFinite(ms) ? Math.min(MAX_DELAY_MS, Math.max(0, ms)) : 0;
}

function byteCount(value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > MAX_RANDOM_BYTES) {
    throw new RangeError(`getRandomValues: at most ${MAX_RANDOM_BYTES} bytes at a time`);
  }
  return value as number;
}

function withinMemory(bytes: number, hooks: TaskHooks, what: string): void {
  if (bytes > hooks.memoryBytes) {
    throw new RangeError(`${what}: ${bytes} bytes is more than the step's memoryMb (${Math.round(hooks.memoryBytes / 2 ** 20)} MB)`);
  }
}

/** Below this, hashing a value costs less than looking for the blob it may be (a read per blob the task loaded). */
const COMPARE_NOT_HASH_BYTES = 1 << 20;

/**
 * An artifact's encoding: a value the task read and handed back unchanged keeps its blob's sha,
 * told by comparing the bytes with the stored ones (cheaper than hashing them) where the store can.
 */
function encoded(wire: WireValue, t: TaskHooks): EncodedArtifact {
  const { reader } = t.io;
  const known = (parts: readonly Uint8Array[], size: number) =>
    size < COMPARE_NOT_HASH_BYTES ? undefined : [...t.loaded].find((sha) => reader.sameBlob?.(sha, parts));
  return encodeWire(wire, wireType(wire), known);
}

/** The type name `dump` shows for an artifact that arrived as a wire value. */
function wireType(wire: WireValue): string {
  return wire.kind === "value" ? typeName(wire.value) : wire.kind === "view" ? wire.type : "Array";
}

function wire(value: unknown): WireValue {
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (kind !== "value" && kind !== "view" && kind !== "records") {
    throw new TypeError("steplab: an artifact is handed over as a wire value");
  }
  return value as WireValue;
}

function printed(args: unknown): string {
  return formatWithOptions({ colors: false, depth: 4 }, ...(Array.isArray(args) ? args : [args]));
}

/** Installs BRIDGE_CALL and BRIDGE_WAIT in a fresh context; they reach the running task through `slot`. */
export function installBridge(context: ivm.Context, slot: { task?: TaskHooks }): void {
  const task = (): TaskHooks => {
    const hooks = slot.task;
    if (!hooks || hooks.ended) throw new Error("steplab: this context has no running task");
    return hooks;
  };
  const print = (to: "stdout" | "stderr", line: string) => task().io.output(to, line.endsWith("\n") ? line : `${line}\n`);
  const calls: BridgeCalls = {
    loadBlob: (sha) => {
      const t = task();
      const blob = text(sha, "an artifact's sha");
      const value = t.io.reader.loadWire(blob);
      t.loaded.add(blob);
      // The store read the blob into memory of its own: its buffers are moved in, never shared.
      return handOver(value, ivm.ExternalCopy as unknown as ExternalCopyClass);
    },
    emit: (name, value) => {
      const t = task();
      const artifact = text(name, "an artifact's name");
      const sent = wire(value);
      t.order.push(artifact);
      if (awaitsBuffers(sent)) t.waiting.set(artifact, sent);
      else t.artifacts.set(artifact, encoded(sent, t));
    },
    moved: (buffers) => {
      const t = task();
      receive(buffers, t.movedIn);
      for (const [name, waiting] of t.waiting) {
        const whole = takeOver(waiting, t.movedIn);
        t.artifacts.set(name, encoded(whole, t));
      }
      t.waiting.clear();
      // Back in the order the step set them (dump lists them so).
      const all = new Map(t.artifacts);
      t.artifacts.clear();
      for (const name of t.order) if (all.has(name)) t.artifacts.set(name, all.get(name)!);
    },
    log: (to, args) => print(stream(to), printed(args)),
    logText: (to, line) => print(stream(to), text(line, "printed text")),
    setTimer: (id, ms) => {
      const hooks = task();
      if (hooks.pendingTimers() >= MAX_PENDING_TIMERS) {
        throw new RangeError(`steplab: a step may have at most ${MAX_PENDING_TIMERS} timers pending`);
      }
      hooks.setTimer(timerId(id), delay(ms));
    },
    clearTimer: (id) => task().clearTimer(timerId(id)),
    randomBytes: (n) => new Uint8Array(randomBytes(byteCount(n))),
    encodeUtf8: (value) => {
      const input = text(value, "TextEncoder's input");
      withinMemory(Buffer.byteLength(input, "utf8"), task(), "TextEncoder.encode");
      return new Uint8Array(Buffer.from(input, "utf8"));
    },
    decodeText: (bytes, label, fatal) => {
      if (!(bytes instanceof Uint8Array)) throw new TypeError("TextDecoder.decode takes an ArrayBuffer or a view of one");
      return new TextDecoder(text(label, "an encoding label"), { fatal: fatal === true }).decode(bytes);
    },
    now: () => performance.timeOrigin + performance.now(),
    // The argument arrived as V8's structured clone of the guest's value; returned, it is cloned back.
    clone: (value) => value,
    env: () => ({ ...process.env }) as Record<string, string>,
    result: (value) => task().io.result?.(value),
    display: (kind, data, options) => {
      const io = task().io;
      const opts = typeof options === "object" && options !== null ? options : {};
      if (io.display) io.display(text(kind, "a display kind"), data, opts);
      else print("stdout", printed([data]));
    },
  };
  const readerCalls = Object.fromEntries(
    READER_METHODS.map((m) => [
      `reader.${m}`,
      (...args: unknown[]) => {
        // Every argument of a read names something (flow, run, step, task, sha): a string.
        const names = args.map((a) => text(a, `the argument of ${m}()`));
        return (task().io.reader[m] as (...a: string[]) => unknown)(...names);
      },
    ]),
  );
  const waits: BridgeWaits = {
    runFlow: (file, params) => {
      const io = task().io;
      if (!io.runFlow) throw new Error("runFlow() is available in notebook cells");
      return io.runFlow(text(file, "runFlow's file"), typeof params === "object" && params !== null ? params : {});
    },
    prompt: (question, password) => {
      const io = task().io;
      if (!io.prompt) throw new Error("prompt() needs a front end that can ask for input");
      return io.prompt(text(question, "prompt's text"), password === true);
    },
  };
  const dispatch =
    (table: Record<string, (...args: any[]) => unknown>) =>
    (name: string, ...args: unknown[]) => {
      const fn = Object.hasOwn(table, name) ? table[name] : undefined;
      if (!fn) throw new Error(`steplab: unknown bridge function ${String(name)}`);
      return fn(...args);
    };
  context.global.setSync(BRIDGE_CALL, new ivm.Callback(dispatch({ ...calls, ...readerCalls })));
  context.global.setSync(BRIDGE_IVM, ivm);
  context.global.setSync(BRIDGE_WAIT, new ivm.Reference(answeredWhileRunning(slot, dispatch({ ...waits }))));
}

/**
 * A call answered later (runFlow, prompt) settles only while the task that made it is running.
 * An answer arriving after the task ended would run the old task's code, or reject with nobody
 * to handle it, in the middle of the next task in this isolate (isolated-vm throws an unhandled
 * rejection at whatever call comes next): it is dropped instead.
 */
function answeredWhileRunning(slot: { task?: TaskHooks }, call: (name: string, ...args: unknown[]) => unknown) {
  return (name: string, ...args: unknown[]): Promise<unknown> => {
    const hooks = slot.task;
    if (!hooks || hooks.ended) return new Promise(() => {});
    hooks.waited = true;
    const live = () => slot.task === hooks && !hooks.ended;
    return new Promise((resolve, reject) => {
      Promise.resolve()
        .then(() => call(name, ...args))
        .then(
          (value) => live() && resolve(value),
          (err: unknown) => live() && reject(err),
        );
    });
  };
}
