/**
 * The kernel: sockets in, handlers out. Shell requests run one at a time in arrival order;
 * control requests are served at once, even while a cell runs (the session is async, so the
 * event loop stays free). Every request is wrapped in status busy/idle on IOPub.
 */
import { randomUUID } from "node:crypto";
import type { NotebookSession } from "../runtime/session/index.js";
import type { ConnectionInfo } from "./connection.js";
import { type HandlerContext, type ReplyChannel, replyType, shellHandlers } from "./handlers.js";
import { steplabVersion, typescriptVersion } from "./package-info.js";
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

interface Queued {
  msg: JupyterMessage;
  aborted: boolean;
}

const SESSION_CLOSE_GRACE_MS = 5000;

const PREWARM_AFTER_MS = 1000;

export async function startKernel(opts: KernelOptions): Promise<Kernel> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const signer = new Signer(opts.connection.key, opts.connection.signature_scheme);
  const id = randomUUID();
  const sockets = await KernelSockets.bind(opts.connection, log);
  let closing = false;

  // The session loads the compiler and the store, which blocks the event loop for a while; it is
  // created after the client's first kernel_info is answered (or shortly after start), so that
  // "kernel ready" is not held up by it, and awaited by the first request that needs it.
  let sessionPromise: Promise<NotebookSession> | undefined;
  let sessionReady: NotebookSession | undefined;
  const getSession = (): Promise<NotebookSession> => {
    if (!sessionPromise) {
      sessionPromise = opts.createSession({ historySession: id });
      sessionPromise.then(
        (s) => (sessionReady = s),
        (e: unknown) => log(`steplab kernel: the notebook session failed to start: ${(e as Error).stack ?? e}`),
      );
    }
    return sessionPromise;
  };
  const prewarm = () => {
    if (!sessionPromise && !closing) void getSession().catch(() => undefined);
  };
  const prewarmTimer = setTimeout(prewarm, PREWARM_AFTER_MS);

  const send = (
    channel: "shell" | "control" | "stdin" | "iopub",
    identities: Buffer[],
    msgType: string,
    parent: JupyterMessage | null,
    content: Record<string, unknown>,
    metadata: Record<string, unknown> = {},
  ) =>
    void sockets.send(
      channel,
      encode({ identities, header: newHeader(msgType, id), parent_header: parent?.header ?? {}, metadata, content }, signer),
    );

  const publish: HandlerContext["publish"] = (parent, msgType, content, metadata) =>
    send("iopub", [Buffer.from(`kernel.${id}.${msgType}`)], msgType, parent, content, metadata);

  let pendingInput: { resolve(v: string): void; reject(e: Error): void } | undefined;

  const ctx: HandlerContext = {
    identity: { implementationVersion: steplabVersion(), languageVersion: typescriptVersion() },
    session: getSession,
    executionCount: 0,
    reply: (req, channel, content, metadata) => send(channel, req.identities, replyType(req.header.msg_type), req, content, metadata),
    publish,
    askInput: (req, prompt, password) => {
      if (pendingInput) return Promise.reject(new Error("another input() is already waiting for the user"));
      return new Promise<string>((resolve, reject) => {
        pendingInput = { resolve, reject };
        send("stdin", req.identities, "input_request", req, { prompt, password });
      });
    },
    log,
  };

  let finishedResolve!: (v: { restart: boolean }) => void;
  const finished = new Promise<{ restart: boolean }>((r) => (finishedResolve = r));

  // Shell requests wait here; `pumping` is true while one of them is being served.
  const shellQueue: Queued[] = [];
  let pumping = false;
  let aborting = false;

  const interrupt = () => {
    sessionReady?.interrupt();
    const p = pendingInput;
    pendingInput = undefined;
    p?.reject(new Error("Interrupted while waiting for input"));
  };

  const shutdown = async (restart = false) => {
    if (closing) return finished.then(() => undefined);
    closing = true;
    clearTimeout(prewarmTimer);
    shellQueue.length = 0;
    if (sessionReady) {
      const s = sessionReady;
      if (pumping) s.interrupt();
      await Promise.race([
        s.close().catch((e: unknown) => log(`steplab kernel: closing the session failed: ${(e as Error).message}`)),
        new Promise((r) => setTimeout(r, SESSION_CLOSE_GRACE_MS).unref()),
      ]);
    }
    await sockets.close();
    if (opts.handleSignals) {
      process.off("SIGINT", interrupt);
      process.off("SIGTERM", onTerm);
    }
    finishedResolve({ restart });
  };
  const onTerm = () => void shutdown(false);

  /** Runs one request between busy and idle. */
  const dispatch = async (item: Queued, channel: ReplyChannel) => {
    const { msg } = item;
    const type = msg.header.msg_type;
    publish(msg, "status", { execution_state: "busy" });
    try {
      if (channel === "control" && type === "shutdown_request") {
        const restart = msg.content.restart === true;
        ctx.reply(msg, channel, { status: "ok", restart });
        publish(msg, "shutdown_reply", { status: "ok", restart });
        publish(msg, "status", { execution_state: "idle" });
        await shutdown(restart);
        return;
      }
      if (channel === "control" && type === "interrupt_request") {
        interrupt();
        ctx.reply(msg, channel, { status: "ok" });
      } else if (item.aborted && type === "execute_request") {
        ctx.reply(msg, channel, { status: "aborted" }, { status: "aborted" });
      } else {
        // Control takes the shell requests too (as ipykernel's does), but never runs a cell beside the shell's.
        const handler = channel === "control" && type === "execute_request" ? undefined : shellHandlers[type];
        if (!handler) log(`steplab kernel: unknown message type ${JSON.stringify(type)} on ${channel}; ignored`);
        const result = handler ? await handler(ctx, msg, channel) : undefined;
        if (result?.abortQueued) await abortQueued();
      }
    } catch (e) {
      log(`steplab kernel: ${type} failed: ${(e as Error).stack ?? e}`);
    }
    publish(msg, "status", { execution_state: "idle" });
    if (type === "kernel_info_request") setImmediate(prewarm);
  };

  // stop_on_error: execute_requests that arrived before the error are answered "aborted". Frames
  // already delivered to the socket are read during the next turns of the event loop, so the
  // window stays open for two of them.
  const abortQueued = async () => {
    aborting = true;
    for (const q of shellQueue) q.aborted = true;
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    for (const q of shellQueue) q.aborted = true;
    aborting = false;
  };

  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      for (let item = shellQueue.shift(); item && !closing; item = shellQueue.shift()) await dispatch(item, "shell");
    } finally {
      pumping = false;
    }
  };

  const receive = (channel: string, frames: Buffer[]): JupyterMessage | undefined => {
    if (closing) return undefined;
    const r = decode(frames, signer);
    if (!r.ok) {
      log(`steplab kernel: dropped a message on ${channel}: ${r.reason}`);
      return undefined;
    }
    return r.message;
  };

  sockets.start({
    shell: (frames) => {
      const msg = receive("shell", frames);
      if (!msg) return;
      shellQueue.push({ msg, aborted: aborting });
      void pump();
    },
    control: (frames) => {
      const msg = receive("control", frames);
      if (msg) void dispatch({ msg, aborted: false }, "control");
    },
    stdin: (frames) => {
      const msg = receive("stdin", frames);
      if (msg?.header.msg_type !== "input_reply") return;
      const p = pendingInput;
      pendingInput = undefined;
      if (p) p.resolve(typeof msg.content.value === "string" ? msg.content.value : "");
      else log("steplab kernel: input_reply with no input() waiting; ignored");
    },
    subscribed: (topic) => {
      const frame = topic.length > 0 ? Buffer.from(topic) : Buffer.from("iopub_welcome");
      send("iopub", [frame], "iopub_welcome", null, { subscription: topic.toString("utf8") });
    },
  });

  if (opts.handleSignals) {
    process.on("SIGINT", interrupt);
    process.on("SIGTERM", onTerm);
  }
  publish(null, "status", { execution_state: "starting" });

  return {
    get connection() {
      return sockets.connection;
    },
    id,
    finished,
    interrupt,
    shutdown,
  };
}
