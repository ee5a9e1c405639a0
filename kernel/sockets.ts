/**
 * The kernel's five zeromq sockets. Each socket has one receive loop and one send queue:
 * zeromq.js v6 rejects a send while another is in flight, and Jupyter relies on the order of
 * messages on a channel (outputs before idle), so sends on a socket are chained.
 */
import * as zmq from "zeromq";
import { type Channel, type ConnectionInfo, endpoint, withPort } from "./connection.js";

type Log = (line: string) => void;

class SendQueue {
  private tail: Promise<void> = Promise.resolve();
  constructor(
    private readonly socket: zmq.Writable & zmq.Socket,
    private readonly name: string,
    private readonly log: Log,
  ) {}

  send(frames: Buffer[]): Promise<void> {
    this.tail = this.tail.then(async () => {
      if (this.socket.closed) return;
      try {
        await this.socket.send(frames);
      } catch (e) {
        this.log(`steplab kernel: send on ${this.name} failed: ${(e as Error).message}`);
      }
    });
    return this.tail;
  }

  flushed(): Promise<void> {
    return this.tail;
  }
}

export interface SocketHandlers {
  shell(frames: Buffer[]): void;
  control(frames: Buffer[]): void;
  stdin(frames: Buffer[]): void;
  /** A new IOPub subscription (JEP 65): `topic` is what the subscriber asked for. */
  subscribed(topic: Buffer): void;
}

export class KernelSockets {
  /** The connection info with the ports actually bound (port 0 resolved). */
  connection: ConnectionInfo;
  private readonly shellSock = new zmq.Router();
  private readonly controlSock = new zmq.Router();
  private readonly stdinSock = new zmq.Router();
  private readonly iopubSock = new zmq.XPublisher();
  private readonly hbSock = new zmq.Reply();
  private readonly queues: Record<Exclude<Channel, "hb">, SendQueue>;
  private readonly loops: Promise<void>[] = [];

  private constructor(
    info: ConnectionInfo,
    private readonly log: Log,
  ) {
    this.connection = info;
    // Every subscriber gets its own welcome, even for a topic already subscribed.
    this.iopubSock.verbosity = "allSubs";
    for (const s of this.all()) {
      s.linger = 1000;
      if (info.ip.includes(":")) s.ipv6 = true;
    }
    this.queues = {
      shell: new SendQueue(this.shellSock, "shell", log),
      control: new SendQueue(this.controlSock, "control", log),
      stdin: new SendQueue(this.stdinSock, "stdin", log),
      iopub: new SendQueue(this.iopubSock, "iopub", log),
    };
  }

  private all(): zmq.Socket[] {
    return [this.shellSock, this.controlSock, this.stdinSock, this.iopubSock, this.hbSock];
  }

  static async bind(info: ConnectionInfo, log: Log): Promise<KernelSockets> {
    const k = new KernelSockets(info, log);
    const pairs: [Channel, zmq.Socket][] = [
      ["shell", k.shellSock],
      ["control", k.controlSock],
      ["stdin", k.stdinSock],
      ["iopub", k.iopubSock],
      ["hb", k.hbSock],
    ];
    try {
      for (const [channel, socket] of pairs) {
        await socket.bind(endpoint(k.connection, channel));
        const bound = socket.lastEndpoint ?? "";
        const m = /:(\d+)$/.exec(bound);
        if (k.connection.transport === "tcp" && m) k.connection = withPort(k.connection, channel, Number(m[1]));
      }
    } catch (e) {
      k.closeNow();
      throw e;
    }
    return k;
  }

  /** Starts the receive loops; returns at once. */
  start(handlers: SocketHandlers): void {
    const loop = async (socket: zmq.Readable & zmq.Socket, name: string, on: (frames: Buffer[]) => void | Promise<void>) => {
      try {
        for await (const frames of socket) {
          try {
            await on(frames);
          } catch (e) {
            this.log(`steplab kernel: ${name} handler failed: ${(e as Error).stack ?? e}`);
          }
        }
      } catch (e) {
        if (!socket.closed) this.log(`steplab kernel: ${name} receive failed: ${(e as Error).message}`);
      }
    };
    this.loops.push(
      loop(this.shellSock, "shell", handlers.shell),
      loop(this.controlSock, "control", handlers.control),
      loop(this.stdinSock, "stdin", handlers.stdin),
      loop(this.iopubSock, "iopub", (frames) => {
        const sub = frames[0];
        // Byte 1 = subscribe, 0 = unsubscribe; anything else on an XPUB is not for us.
        if (sub && sub.length > 0 && sub[0] === 1) handlers.subscribed(sub.subarray(1));
      }),
      loop(this.hbSock, "hb", async (frames) => {
        await this.hbSock.send(frames);
      }),
    );
  }

  send(channel: Exclude<Channel, "hb">, frames: Buffer[]): Promise<void> {
    return this.queues[channel].send(frames);
  }

  /** Waits for queued sends, then closes every socket (linger lets the last replies out). */
  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((q) => q.flushed()));
    this.closeNow();
    await Promise.allSettled(this.loops);
  }

  private closeNow(): void {
    for (const s of this.all()) if (!s.closed) s.close();
  }
}
