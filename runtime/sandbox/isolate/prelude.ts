/**
 * Runs inside every isolate context before the flow's bundle: the few host capabilities a step
 * needs (console, timers, TextEncoder/TextDecoder, URL, crypto.getRandomValues), all going through
 * the bridge the host installed (bridge.ts). Bundled once by esbuild (see prelude-code.ts).
 */

import { fromWire, type RecordTable, toWire } from "../../../store/portable.js";
import { BRIDGE_CALL, BRIDGE_IVM, BRIDGE_WAIT, READER_METHODS, type BridgeCalls, type BridgeWaits } from "./bridge.js";
import { BRIDGE_COPY_LIMIT, checkCopySize } from "./copy-bound.js";
import { type ExternalCopyClass, Outbox, receive, takeOver } from "./handover.js";

type HostCall = (name: string, ...args: unknown[]) => unknown;
/** An isolated-vm Reference to the host's BRIDGE_WAIT function. */
interface HostWait {
  apply(receiver: undefined, args: unknown[], options: object): Promise<unknown>;
}

const g = globalThis as any;
const hostCall = g[BRIDGE_CALL] as HostCall;
const wait = g[BRIDGE_WAIT] as HostWait;
const ExternalCopy = g[BRIDGE_IVM].ExternalCopy as ExternalCopyClass;
const copyLimit = Number(g[BRIDGE_COPY_LIMIT]) || Number.POSITIVE_INFINITY;
delete g[BRIDGE_CALL];
delete g[BRIDGE_WAIT];
delete g[BRIDGE_IVM];
delete g[BRIDGE_COPY_LIMIT];

/** Every call into the host: its arguments are copied there, which must not cost the host more than the step may use. */
const call: HostCall = (name, ...args) => {
  checkCopySize(name, args, copyLimit);
  return hostCall(name, ...args);
};

const calls = (...names: (keyof BridgeCalls)[]) =>
  Object.fromEntries(names.map((name) => [name, (...args: unknown[]) => call(name, ...args)])) as unknown as BridgeCalls;
const bridge = calls(
  "loadBlob",
  "emit",
  "moved",
  "log",
  "logText",
  "setTimer",
  "clearTimer",
  "randomBytes",
  "encodeUtf8",
  "decodeText",
  "result",
  "display",
  "now",
  "clone",
  "env",
);
const reader = Object.fromEntries(READER_METHODS.map((m) => [m, (...args: unknown[]) => call(`reader.${m}`, ...args)]));
const waits = Object.fromEntries(
  (["runFlow", "prompt"] as const).map((name) => [
    name,
    (...args: unknown[]) => {
      checkCopySize(name, args, copyLimit);
      return wait.apply(undefined, [name, ...args], { arguments: { copy: true }, result: { promise: true, copy: true } });
    },
  ]),
) as unknown as BridgeWaits;

function describe(value: unknown): string {
  if (typeof value === "function") return `[Function: ${value.name || "anonymous"}]`;
  if (typeof value === "symbol") return value.toString();
  return String(value);
}

function write(stream: "stdout" | "stderr", args: unknown[]): void {
  try {
    bridge.log(stream, args);
  } catch (err) {
    // Too large to hand over: printing it as text would be larger still.
    if (err instanceof RangeError) throw err;
    // Some argument could not be copied to the host (a function, a proxy): print what we can.
    bridge.logText(stream, args.map(describe).join(" "));
  }
}

const counters = new Map<string, number>();
const timersByLabel = new Map<string, number>();
g.console = {
  log: (...a: unknown[]) => write("stdout", a),
  info: (...a: unknown[]) => write("stdout", a),
  debug: (...a: unknown[]) => write("stdout", a),
  trace: (...a: unknown[]) => write("stderr", [...a, `\n${(new Error().stack ?? "").split("\n").slice(2).join("\n")}`]),
  warn: (...a: unknown[]) => write("stderr", a),
  error: (...a: unknown[]) => write("stderr", a),
  table: (data: unknown) => write("stdout", [data]),
  dir: (data: unknown) => write("stdout", [data]),
  assert: (ok: unknown, ...a: unknown[]) => {
    if (!ok) write("stderr", ["Assertion failed:", ...a]);
  },
  count: (label = "default") => {
    const n = (counters.get(label) ?? 0) + 1;
    counters.set(label, n);
    write("stdout", [`${label}: ${n}`]);
  },
  time: (label = "default") => void timersByLabel.set(label, Date.now()),
  timeEnd: (label = "default") => {
    const start = timersByLabel.get(label);
    if (start !== undefined) write("stdout", [`${label}: ${Date.now() - start}ms`]);
    timersByLabel.delete(label);
  },
};

// Timers: the host keeps the clock and calls __steplabFire(id) when one is due.
let nextTimer = 1;
const timers = new Map<number, { fn: (...a: unknown[]) => void; args: unknown[]; repeat?: number }>();
function addTimer(fn: unknown, ms: unknown, args: unknown[], repeat: boolean): number {
  if (typeof fn !== "function") throw new TypeError("The callback must be a function");
  const id = nextTimer++;
  const delay = Math.max(0, Number(ms) || 0);
  timers.set(id, { fn: fn as (...a: unknown[]) => void, args, repeat: repeat ? delay : undefined });
  bridge.setTimer(id, delay);
  return id;
}
function clearTimer(id: unknown): void {
  if (typeof id === "number" && timers.delete(id)) bridge.clearTimer(id);
}
g.setTimeout = (fn: unknown, ms?: unknown, ...args: unknown[]) => addTimer(fn, ms, args, false);
g.setInterval = (fn: unknown, ms?: unknown, ...args: unknown[]) => addTimer(fn, ms, args, true);
g.setImmediate = (fn: unknown, ...args: unknown[]) => addTimer(fn, 0, args, false);
g.clearTimeout = clearTimer;
g.clearInterval = clearTimer;
g.clearImmediate = clearTimer;
g.queueMicrotask = (fn: () => void) => void Promise.resolve().then(fn);
g.__steplabFire = (id: number) => {
  const timer = timers.get(id);
  if (!timer) return;
  if (timer.repeat === undefined) timers.delete(id);
  else bridge.setTimer(id, timer.repeat);
  try {
    timer.fn(...timer.args);
  } catch (err) {
    write("stderr", ["Uncaught", err instanceof Error ? (err.stack ?? String(err)) : err]);
  }
};
g.__steplabPendingTimers = () => timers.size;

class TextEncoderImpl {
  readonly encoding = "utf-8";
  encode(input = ""): Uint8Array {
    return bridge.encodeUtf8(String(input));
  }
  encodeInto(input: string, dest: Uint8Array): { read: number; written: number } {
    const bytes = this.encode(input);
    if (bytes.length <= dest.length) {
      dest.set(bytes);
      return { read: input.length, written: bytes.length };
    }
    // Encode only whole characters that fit.
    let read = 0;
    let written = 0;
    for (const ch of input) {
      const b = this.encode(ch);
      if (written + b.length > dest.length) break;
      dest.set(b, written);
      written += b.length;
      read += ch.length;
    }
    return { read, written };
  }
}
class TextDecoderImpl {
  readonly encoding: string;
  readonly fatal: boolean;
  constructor(label = "utf-8", options: { fatal?: boolean } = {}) {
    this.encoding = label.toLowerCase();
    this.fatal = Boolean(options.fatal);
  }
  decode(input?: ArrayBuffer | ArrayBufferView): string {
    if (input === undefined) return "";
    const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    return bridge.decodeText(bytes, this.encoding, this.fatal);
  }
}
g.TextEncoder = TextEncoderImpl;
g.TextDecoder = TextDecoderImpl;

// The typed-array getters themselves, taken before any user code runs: an array's own
// `byteLength` property (or a look-alike object) cannot say one size to a check and another to the
// call. Read once each; the host bounds the size again on its side.
const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const intrinsic = (name: string | symbol) => Object.getOwnPropertyDescriptor(typedArrayProto, name)!.get!;
const typedArrayTag = intrinsic(Symbol.toStringTag);
const typedArrayBuffer = intrinsic("buffer");
const typedArrayOffset = intrinsic("byteOffset");
const typedArrayLength = intrinsic("byteLength");
const INTEGER_ARRAYS = [
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "BigInt64Array",
  "BigUint64Array",
];

g.crypto = {
  getRandomValues<T extends ArrayBufferView>(array: T): T {
    const kind = typedArrayTag.call(array) as string | undefined;
    if (!kind || !INTEGER_ARRAYS.includes(kind)) throw new TypeError("getRandomValues: the argument must be an integer typed array");
    const byteLength = typedArrayLength.call(array) as number;
    if (byteLength > 65536) throw new RangeError("getRandomValues: at most 65536 bytes at a time");
    const bytes = bridge.randomBytes(byteLength);
    new Uint8Array(typedArrayBuffer.call(array) as ArrayBuffer, typedArrayOffset.call(array) as number, byteLength).set(bytes);
    return array;
  },
  randomUUID(): string {
    const b = bridge.randomBytes(16);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  },
};

// URL and URLSearchParams (core-js) would be most of the prelude's code: kept as source (see
// prelude-code.ts) and evaluated on first use only, since even defining them in every task's
// fresh context costs more than many tasks' own work.
declare const __STEPLAB_URL_POLYFILL__: string;
function installUrl(): void {
  delete g.URL;
  delete g.URLSearchParams;
  (0, eval)(__STEPLAB_URL_POLYFILL__);
}
for (const name of ["URL", "URLSearchParams"]) {
  Object.defineProperty(g, name, {
    configurable: true,
    enumerable: false,
    get() {
      installUrl();
      return g[name];
    },
    set(value: unknown) {
      Object.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false });
    },
  });
}

// performance.now(): the host's monotonic clock, in ms since this context was made.
const timeOrigin = Date.now();
g.performance = Object.freeze({
  timeOrigin,
  now: () => bridge.now() - timeOrigin,
  toJSON: () => ({ timeOrigin }),
});

g.structuredClone = (value: unknown) => {
  try {
    return bridge.clone(value);
  } catch (err) {
    const e = new Error(`structuredClone: ${err instanceof Error ? err.message : String(err)}`);
    e.name = "DataCloneError";
    throw e;
  }
};

// process.env: a read-only snapshot of the host's environment, taken when a step first reads it.
let env: Record<string, string> | undefined;
const readOnly = (key: string | symbol): never => {
  throw new TypeError(
    `process.env is a read-only snapshot inside a step (cannot change ${String(key)}): pass values as parameters or artifacts`,
  );
};
g.process = Object.freeze({
  get env() {
    env ??= new Proxy(Object.freeze(bridge.env()), {
      set: (_t, key) => readOnly(key),
      defineProperty: (_t, key) => readOnly(key),
      deleteProperty: (_t, key) => readOnly(key),
    });
    return env;
  },
});

// Artifacts cross as wire values (store/wire): a typed array's memory and a record table's columns
// are moved to the host, not copied. They move once the step has handed over all its artifacts
// (the entry function calls __steplabSendMoved), and are copied instead while a timer of the task
// is pending, since its code could still read them.
const outbox = new Outbox();
const emit = (name: string, value: unknown, table?: RecordTable): void => bridge.emit(name, outbox.describe(toWire(value, table)));
const loadBlob = (sha: string): unknown => {
  const { wire, buffers } = bridge.loadBlob(sha);
  const received: ArrayBuffer[] = [];
  receive(buffers, received);
  return fromWire(takeOver(wire, received));
};
g.__steplabSendMoved = () => {
  const buffers = outbox.send(ExternalCopy, timers.size === 0);
  // Most tasks move nothing: no call into the host for them.
  if (buffers.length > 0) bridge.moved(buffers);
};

g.__steplabHost = {
  loadBlob,
  emit,
  log: write,
  reader,
  result: bridge.result,
  display: bridge.display,
  runFlow: waits.runFlow,
  prompt: waits.prompt,
};
