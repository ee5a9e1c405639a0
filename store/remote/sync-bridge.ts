/**
 * The caller's side of the datastore I/O thread. `callSync` blocks this thread until the answer
 * arrives (Atomics.wait on a shared flag, then receiveMessageOnPort), with a deadline, so a
 * synchronous read of a remote datastore either answers or fails with a clear error — it never
 * hangs. `call` is the ordinary asynchronous path for writes.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { NotFoundError, StoreError } from "../../errors/index.js";
import { MissingBlobError } from "../collector-errors.js";
import type { BridgeReply, BridgeRequest, BridgeSettings } from "./protocol.js";
import { bridgeWorkerScript } from "./worker-script.js";

export const DEFAULT_TIMEOUT_MS = 120_000;

function toError(error: NonNullable<BridgeReply["error"]>): Error {
  if (error.code === "NOT_FOUND") return new NotFoundError(error.message);
  if (error.code === "BLOB_MISSING") return new MissingBlobError(error.message);
  return new StoreError(error.message);
}

export class SyncBridge {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #flag = new Int32Array(new SharedArrayBuffer(4));
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #seq = 0;
  #closed = false;
  #exitError: Error | undefined;

  constructor(
    settings: BridgeSettings,
    readonly timeoutMs: number = DEFAULT_TIMEOUT_MS,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#worker = new Worker(bridgeWorkerScript(), {
      workerData: { settings, syncPort: port2, flag: this.#flag },
      transferList: [port2],
    });
    this.#worker.on("message", (reply: BridgeReply) => this.#settle(reply));
    this.#worker.on("error", (err) => this.#fail(new StoreError(`the datastore I/O thread failed: ${err.message}`)));
    this.#worker.on("exit", (code) => {
      if (!this.#closed) this.#fail(new StoreError(`the datastore I/O thread exited (code ${code})`));
    });
    // An open store does not keep a script alive; pending asynchronous calls do (see call()).
    // After the listeners: adding a "message" listener refs the worker again.
    this.#worker.unref();
  }

  #fail(err: Error): void {
    this.#exitError ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    this.#worker.unref();
  }

  #settle(reply: BridgeReply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if (reply.error) pending.reject(toError(reply.error));
    else pending.resolve(reply.value);
  }

  #check(op: string): void {
    if (this.#exitError) throw this.#exitError;
    if (this.#closed) throw new StoreError(`the datastore is closed (${op}); open it again`);
  }

  callSync<T>(op: string, args: unknown[] = [], timeoutMs = this.timeoutMs): T {
    this.#check(op);
    const id = ++this.#seq;
    const request: BridgeRequest = { id, op, args, sync: true };
    Atomics.store(this.#flag, 0, 0);
    this.#worker.postMessage(request);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = receiveMessageOnPort(this.#port);
      if (got) {
        const reply = got.message as BridgeReply;
        if (reply.id !== id) continue; // a late answer to a call that timed out
        if (reply.error) throw toError(reply.error);
        return reply.value as T;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new StoreError(
          `the remote datastore did not answer ${op} within ${Math.round(timeoutMs / 1000)} s (set STEPLAB_REMOTE_TIMEOUT_MS to wait longer)`,
        );
      }
      Atomics.wait(this.#flag, 0, 0, left);
      Atomics.store(this.#flag, 0, 0);
    }
  }

  call<T>(op: string, args: unknown[] = []): Promise<T> {
    try {
      this.#check(op);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const id = ++this.#seq;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.ref();
      this.#worker.postMessage({ id, op, args, sync: false } satisfies BridgeRequest);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      if (!this.#exitError) await this.call("close");
    } finally {
      this.#closed = true;
      this.#port.close();
      await this.#worker.terminate();
    }
  }
}
