/**
 * The kernel: sockets in, handlers out. Shell requests run one at a time in arrival order
 * (shell-queue.ts); control requests are served at once, even while a cell runs (the session is
 * async, so the event loop stays free). Every request is wrapped in status busy/idle on IOPub.
 */
import { randomUUID } from "node:crypto";
import type { NotebookSession } from "../runtime/session/index.js";
import type { ConnectionInfo } from "./connection.js";
import { type HandlerContext, type ReplyChannel, replyType, shellHandlers } from "./handlers.js";
import { InputRequests } from "./input-requests.js";
import { steplabVersion, typescriptVersion } from "./package-info.js";
import { SessionSlot } from "./session-slot.js";
import { type Queued, ShellQueue } from "./shell-queue.js";
import { KernelSockets } from "./sockets.js";
import { type JupyterMessage, Signer, decode, encode, newHeader } from "./wire.js";

/** Creates the kernel's notebook session; `historySession` tags its history entries in the store. */
export type SessionFactory = (info: { historySession: string }) => Promise<NotebookSession>;

export interface KernelOptions {
  connection: ConnectionInfo;
  createSession: SessionFactory;
  /** Diagnostics (bad signatures, malformed frames); stderr by default. */
  log?: (line: string) => void;
  /** Interrupt on SIGINT and shut down on SIGTERM (the CLI sets this; in-process tests do not). */
  handleSignals?: boolean;
}

export interface Kernel {
  /** The connection info with the ports actually bound (ports given as 0 are resolved). */
  readonly connection: ConnectionInfo;
  /** The kernel's session id (the `session` of every header it writes). */
  readonly id: string;
  /** Resolves once the kernel has shut down, by shutdown_request or shutdown(). */
  readonly finished: Promise<{ restart: boolean }>;
  /** What interrupt_request and SIGINT do: stop the running cell, fail a pending input(). */
  interrupt(): void;
  shutdown(restart?: boolean): Promise<void>;
}

const SESSION_CLOSE_GRACE_MS = 5000;

type Send = (
  channel: "shell" | "control" | "stdin" | "iopub",
  identities: Buffer[],
  msgType: string,
  parent: JupyterMessage | null,
  content: Record<string, unknown>,
  metadata?: Record<string, unknown>,
) => void;

/** Signs and sends one message on a channel, as this kernel's session. */
function sender(sockets: KernelSockets, signer: Signer, id: string): Send {
  return (channel, identities, msgType, parent, content, metadata = {}) =>
    void sockets.send(
      channel,
      encode({ identities, header: newHeader(msgType, id), parent_header: parent?.header ?? {}, metadata, content }, signer),
    );
}

export async function startKernel(opts: KernelOptions): Promise<Kernel> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const sockets = await KernelSockets.bind(opts.connection, log);
  const kernel = new RunningKernel(opts, sockets, log);
  kernel.start();
  return kernel;
}

class RunningKernel implements Kernel {
  readonly id = randomUUID();
  readonly finished: Promise<{ restart: boolean }>;
  readonly #signer: Signer;
  readonly #send: Send;
  readonly #session: SessionSlot;
  readonly #inputs = new InputRequests();
  readonly #shell = new ShellQueue((item) => this.dispatch(item, "shell"));
  readonly #ctx: HandlerContext;
  #finish!: (v: { restart: boolean }) => void;
  #closing = false;

  constructor(
    private readonly opts: KernelOptions,
    private readonly sockets: KernelSockets,
    private readonly log: (line: string) => void,
  ) {
    this.#signer = new Signer(opts.connection.key, opts.connection.signature_scheme);
    this.#send = sender(sockets, this.#signer, this.id);
    this.#session = new SessionSlot(() => opts.createSession({ historySession: this.id }), log);
    this.finished = new Promise((r) => (this.#finish = r));
    this.#ctx = {
      identity: { implementationVersion: steplabVersion(), languageVersion: typescriptVersion() },
      session: () => this.#session.get(),
      executionCount: 0,
      reply: (req, channel, content, metadata) =>
        this.#send(channel, req.identities, replyType(req.header.msg_type), req, content, metadata),
      publish: this.publish,
      askInput: (req, prompt, password) =>
        this.#inputs.ask(() => this.#send("stdin", req.identities, "input_request", req, { prompt, password })),
      log,
    };
  }

  get connection(): ConnectionInfo {
    return this.sockets.connection;
  }

  readonly publish: HandlerContext["publish"] = (parent, msgType, content, metadata) =>
    this.#send("iopub", [Buffer.from(`kernel.${this.id}.${msgType}`)], msgType, parent, content, metadata);

  start(): void {
    this.sockets.start({
      shell: (frames) => {
        const msg = this.receive("shell", frames);
        if (msg) this.#shell.push(msg);
      },
      control: (frames) => {
        const msg = this.receive("control", frames);
        if (msg) void this.dispatch({ msg, aborted: false }, "control");
      },
      stdin: (frames) => {
        const msg = this.receive("stdin", frames);
        if (msg?.header.msg_type !== "input_reply") return;
        if (!this.#inputs.answer(typeof msg.content.value === "string" ? msg.content.value : "")) {
          this.log("steplab kernel: input_reply with no input() waiting; ignored");
        }
      },
      subscribed: (topic) => {
        const frame = topic.length > 0 ? Buffer.from(topic) : Buffer.from("iopub_welcome");
        this.#send("iopub", [frame], "iopub_welcome", null, { subscription: topic.toString("utf8") });
      },
    });
    if (this.opts.handleSignals) {
      process.on("SIGINT", this.interrupt);
      process.on("SIGTERM", this.onTerm);
    }
    this.publish(null, "status", { execution_state: "starting" });
  }

  /** What interrupt_request and SIGINT do: stop the running cell, fail a pending input(). */
  readonly interrupt = (): void => {
    this.#session.ready?.interrupt();
    this.#inputs.cancel();
  };

  private readonly onTerm = (): void => void this.shutdown(false);

  async shutdown(restart = false): Promise<void> {
    if (this.#closing) return this.finished.then(() => undefined);
    this.#closing = true;
    this.#session.close();
    this.#shell.close();
    const s = this.#session.ready;
    if (s) {
      if (this.#shell.busy) s.interrupt();
      await Promise.race([
        s.close().catch((e: unknown) => this.log(`steplab kernel: closing the session failed: ${(e as Error).message}`)),
        new Promise((r) => setTimeout(r, SESSION_CLOSE_GRACE_MS).unref()),
      ]);
    }
    await this.sockets.close();
    if (this.opts.handleSignals) {
      process.off("SIGINT", this.interrupt);
      process.off("SIGTERM", this.onTerm);
    }
    this.#finish({ restart });
  }

  private receive(channel: string, frames: Buffer[]): JupyterMessage | undefined {
    if (this.#closing) return undefined;
    const r = decode(frames, this.#signer);
    if (!r.ok) {
      this.log(`steplab kernel: dropped a message on ${channel}: ${r.reason}`);
      return undefined;
    }
    return r.message;
  }

  /** Runs one request between busy and idle. */
  private async dispatch(item: Queued, channel: ReplyChannel): Promise<void> {
    const { msg } = item;
    const type = msg.header.msg_type;
    this.publish(msg, "status", { execution_state: "busy" });
    try {
      if (channel === "control" && (await this.control(msg))) return;
      if (item.aborted && type === "execute_request") {
        this.#ctx.reply(msg, channel, { status: "aborted" }, { status: "aborted" });
      } else {
        // Control takes the shell requests too (as ipykernel's does), but never runs a cell beside the shell's.
        const handler = channel === "control" && type === "execute_request" ? undefined : shellHandlers[type];
        if (!handler) this.log(`steplab kernel: unknown message type ${JSON.stringify(type)} on ${channel}; ignored`);
        const result = handler ? await handler(this.#ctx, msg, channel) : undefined;
        if (result?.abortQueued) await this.#shell.abortQueued();
      }
    } catch (e) {
      this.log(`steplab kernel: ${type} failed: ${(e as Error).stack ?? e}`);
    }
    this.publish(msg, "status", { execution_state: "idle" });
    if (type === "kernel_info_request") setImmediate(() => this.#session.prewarm());
  }

  /** Control's own requests, shutdown and interrupt (idle included); false for anything else. */
  private async control(msg: JupyterMessage): Promise<boolean> {
    const type = msg.header.msg_type;
    if (type === "shutdown_request") {
      const restart = msg.content.restart === true;
      this.#ctx.reply(msg, "control", { status: "ok", restart });
      this.publish(msg, "shutdown_reply", { status: "ok", restart });
      this.publish(msg, "status", { execution_state: "idle" });
      await this.shutdown(restart);
      return true;
    }
    if (type === "interrupt_request") {
      this.interrupt();
      this.#ctx.reply(msg, "control", { status: "ok" });
      this.publish(msg, "status", { execution_state: "idle" });
      return true;
    }
    return false;
  }
}
