/**
 * The Jupyter wire protocol of kernel/, driven in-process by a zeromq Dealer/Sub client.
 * The notebook session here is `VmProtocolTestSession`, a protocol-only test double on node:vm:
 * it exists so these tests exercise framing, signing, routing and message order, not cells.
 * Cell semantics are tested against the real session in kernel-e2e.test.ts.
 */
import { createHmac, randomUUID } from "node:crypto";
import { inspect as utilInspect } from "node:util";
import vm from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { type ConnectionInfo, type Kernel, startKernel } from "../kernel/index.js";
import {
  type CompletionResult,
  type ExecuteOptions,
  type ExecuteOutcome,
  InputHistory,
  type InspectResult,
  type IsCompleteResult,
  type NotebookSession,
  type SessionState,
} from "../runtime/session/index.js";

// ---------------------------------------------------------------------------------------------
// Protocol-only test double (never used outside this file).

class VmProtocolTestSession implements NotebookSession {
  readonly state: SessionState = { flow: "ProtocolTestFlow", stale: [], steps: [] };
  private readonly context = vm.createContext({});
  private stop: (() => void) | undefined;
  private readonly executed: { source: string; tags: string[] }[] = [];
  readonly history = InputHistory.inMemory({ session: "protocol-test" });
  closed = false;

  async execute(code: string, opts: ExecuteOptions): Promise<ExecuteOutcome> {
    const { sink } = opts;
    const interrupted = new Promise<never>((_, reject) => {
      this.stop = () => reject(Object.assign(new Error("cell interrupted"), { name: "Interrupted" }));
    });
    Object.assign(this.context, {
      print: (...a: unknown[]) => sink.stdout(`${a.map(String).join(" ")}\n`),
      eprint: (...a: unknown[]) => sink.stderr(`${a.map(String).join(" ")}\n`),
      display: (data: { "text/plain": string }, o?: { displayId?: string; update?: boolean }) => sink.display(data, o),
      clear: (wait: boolean) => sink.clearOutput(wait),
      input: (prompt: string) => (sink.input ? sink.input(prompt, false) : Promise.reject(new Error("stdin not allowed"))),
      sleep: (ms: number) => new Promise((r) => setTimeout(r, ms)),
      forever: () => new Promise(() => {}),
    });
    this.executed.push({ source: code, tags: opts.tags ?? [] });
    // As the real session does: it records what it runs, unless the front end says not to.
    if (!opts.silent && opts.storeHistory !== false) this.history.add(code, opts.executionCount);
    try {
      let value: unknown = vm.runInContext(code, this.context);
      if (value && typeof (value as Promise<unknown>).then === "function") {
        value = await Promise.race([value as Promise<unknown>, interrupted]);
      }
      return value === undefined ? { status: "ok" } : { status: "ok", result: { "text/plain": utilInspect(value) } };
    } catch (e) {
      const err = e as Error;
      return {
        status: "error",
        error: { ename: err.name, evalue: err.message, traceback: [`${err.name}: ${err.message}`] },
      };
    } finally {
      this.stop = undefined;
    }
  }
  interrupt(): void {
    this.stop?.();
  }
  complete(code: string, cursor: number): CompletionResult {
    const m = /[A-Za-z_$][\w$]*$/.exec(code.slice(0, cursor));
    const prefix = m?.[0] ?? "";
    const names = Object.getOwnPropertyNames(this.context).filter((n) => n.startsWith(prefix));
    return { matches: names.sort(), cursorStart: cursor - prefix.length, cursorEnd: cursor };
  }
  inspect(code: string, cursor: number): InspectResult {
    const m = /[A-Za-z_$][\w$]*$/.exec(code.slice(0, cursor));
    const name = m?.[0];
    if (!name || !(name in this.context)) return { found: false, data: {} };
    return { found: true, data: { "text/plain": `${name}: ${typeof (this.context as Record<string, unknown>)[name]}` } };
  }
  isComplete(code: string): IsCompleteResult {
    try {
      new vm.Script(code);
      return { status: "complete" };
    } catch (e) {
      return /end of input/.test((e as Error).message) ? { status: "incomplete", indent: "  " } : { status: "invalid" };
    }
  }
  cells() {
    return this.executed;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

// ---------------------------------------------------------------------------------------------
// A minimal Jupyter client, signing with its own HMAC code so the kernel's is checked independently.

interface Msg {
  header: Record<string, unknown> & { msg_id: string; msg_type: string };
  parent_header: Record<string, unknown>;
  metadata: Record<string, unknown>;
  content: Record<string, any>;
  signatureOk: boolean;
}

const KEY = "a0436f6c-1916-498b-8eb9-e81ab9368e84";
const hmac = (parts: Buffer[]) => {
  const h = createHmac("sha256", KEY);
  for (const p of parts) h.update(p);
  return h.digest("hex");
};

function parse(frames: Buffer[]): Msg {
  const at = frames.findIndex((f) => f.toString() === "<IDS|MSG>");
  const [sig, h, p, m, c] = frames.slice(at + 1) as [Buffer, Buffer, Buffer, Buffer, Buffer];
  return {
    header: JSON.parse(h.toString()),
    parent_header: JSON.parse(p.toString()),
    metadata: JSON.parse(m.toString()),
    content: JSON.parse(c.toString()),
    signatureOk: sig.toString() === hmac([h, p, m, c]),
  };
}

/** Collects messages from a socket and lets a test wait for one that matches. */
class Inbox {
  readonly all: Msg[] = [];
  private waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  constructor(socket: zmq.Readable) {
    void (async () => {
      try {
        for await (const frames of socket) {
          const msg = parse(frames);
          this.all.push(msg);
          this.waiters = this.waiters.filter((w) => (w.pred(msg) ? (w.resolve(msg), false) : true));
        }
      } catch {
        // socket closed at the end of the suite
      }
    })();
  }
  next(pred: (m: Msg) => boolean): Promise<Msg> {
    const have = this.all.find(pred);
    if (have) return Promise.resolve(have);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }
  forParent(id: string): Msg[] {
    return this.all.filter((m) => m.parent_header.msg_id === id);
  }
}

class Client {
  readonly session = randomUUID();
  readonly identity = `client-${this.session}`;
  readonly shell = new zmq.Dealer({ routingId: this.identity, linger: 0 });
  readonly control = new zmq.Dealer({ linger: 0 });
  readonly stdin = new zmq.Dealer({ routingId: this.identity, linger: 0 });
  readonly iopub = new zmq.Subscriber({ linger: 0 });
  readonly hb = new zmq.Request({ linger: 0 });
  shellIn!: Inbox;
  controlIn!: Inbox;
  stdinIn!: Inbox;
  iopubIn!: Inbox;

  async connect(k: Kernel): Promise<void> {
    const c = k.connection;
    this.iopub.subscribe();
    this.iopub.connect(`tcp://127.0.0.1:${c.iopub_port}`);
    this.shell.connect(`tcp://127.0.0.1:${c.shell_port}`);
    this.control.connect(`tcp://127.0.0.1:${c.control_port}`);
    this.stdin.connect(`tcp://127.0.0.1:${c.stdin_port}`);
    this.hb.connect(`tcp://127.0.0.1:${c.hb_port}`);
    this.iopubIn = new Inbox(this.iopub);
    this.shellIn = new Inbox(this.shell);
    this.controlIn = new Inbox(this.control);
    this.stdinIn = new Inbox(this.stdin);
    await this.iopubIn.next((m) => m.header.msg_type === "iopub_welcome");
  }

  frames(msgType: string, content: Record<string, unknown>, opts: { sign?: (parts: Buffer[]) => string } = {}) {
    const header = {
      msg_id: randomUUID(),
      msg_type: msgType,
      session: this.session,
      username: "test",
      date: new Date().toISOString(),
      version: "5.3",
    };
    const parts = [header, {}, {}, content].map((d) => Buffer.from(JSON.stringify(d)));
    return { id: header.msg_id, frames: [Buffer.from("<IDS|MSG>"), Buffer.from((opts.sign ?? hmac)(parts)), ...parts] };
  }

  async send(channel: "shell" | "control" | "stdin", msgType: string, content: Record<string, unknown> = {}) {
    const { id, frames } = this.frames(msgType, content);
    await this[channel].send(frames);
    return id;
  }

  reply(channel: "shell" | "control", id: string): Promise<Msg> {
    return this[`${channel}In`].next((m) => m.parent_header.msg_id === id);
  }

  /** The reply and the IOPub messages up to idle, for one request. */
  async request(channel: "shell" | "control", msgType: string, content: Record<string, unknown> = {}) {
    const id = await this.send(channel, msgType, content);
    const reply = await this.reply(channel, id);
    await this.idle(id);
    return { id, reply, iopub: this.iopubIn.forParent(id) };
  }

  idle(id: string): Promise<Msg> {
    return this.iopubIn.next(
      (m) => m.parent_header.msg_id === id && m.header.msg_type === "status" && m.content.execution_state === "idle",
    );
  }

  execute(code: string, more: Record<string, unknown> = {}) {
    return this.request("shell", "execute_request", {
      code,
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
      ...more,
    });
  }

  close(): void {
    for (const s of [this.shell, this.control, this.stdin, this.iopub, this.hb]) s.close();
  }
}

const types = (msgs: Msg[]) => msgs.map((m) => m.header.msg_type);

/** A kernel on 127.0.0.1 with every port chosen by the OS (port 0). */
function localConnection(key: string): ConnectionInfo {
  return {
    transport: "tcp",
    ip: "127.0.0.1",
    shell_port: 0,
    control_port: 0,
    stdin_port: 0,
    iopub_port: 0,
    hb_port: 0,
    key,
    signature_scheme: "hmac-sha256",
  };
}

// ---------------------------------------------------------------------------------------------

describe("steplab kernel wire protocol", () => {
  let kernel: Kernel;
  let client: Client;
  let session: VmProtocolTestSession;
  const logged: string[] = [];

  beforeAll(async () => {
    session = new VmProtocolTestSession();
    kernel = await startKernel({
      connection: localConnection(KEY),
      createSession: async () => session,
      log: (line) => logged.push(line),
    });
    client = new Client();
    await client.connect(kernel);
  });

  afterAll(async () => {
    await kernel.shutdown();
    client.close();
  });

  it("welcomes each new IOPub subscriber (JEP 65), unsigned parent, signed by the key", async () => {
    const welcome = client.iopubIn.all.find((m) => m.header.msg_type === "iopub_welcome")!;
    expect(welcome.content).toEqual({ subscription: "" });
    expect(welcome.parent_header).toEqual({});
    expect(welcome.signatureOk).toBe(true);

    const second = new zmq.Subscriber({ linger: 0 });
    second.subscribe();
    second.connect(`tcp://127.0.0.1:${kernel.connection.iopub_port}`);
    const [frames] = await second[Symbol.asyncIterator]()
      .next()
      .then((r) => [r.value as Buffer[]]);
    expect(parse(frames!).header.msg_type).toBe("iopub_welcome");
    second.close();
  });

  it("echoes heartbeats", async () => {
    await client.hb.send("ping");
    const [pong] = await client.hb.receive();
    expect(pong!.toString()).toBe("ping");
  });

  it("answers kernel_info_request with a signed reply, busy/idle and parent headers", async () => {
    const { id, reply, iopub } = await client.request("shell", "kernel_info_request");
    expect(reply.signatureOk).toBe(true);
    expect(reply.header.msg_type).toBe("kernel_info_reply");
    expect(reply.header.session).toBe(kernel.id);
    expect(reply.parent_header.msg_id).toBe(id);
    expect(reply.content).toMatchObject({
      status: "ok",
      protocol_version: "5.3",
      implementation: "steplab",
      language_info: { name: "typescript", file_extension: ".ts" },
    });
    expect(["text/x.typescript", "text/typescript"]).toContain(reply.content.language_info.mimetype);
    expect(typeof reply.content.banner).toBe("string");
    expect(Array.isArray(reply.content.help_links)).toBe(true);
    expect(iopub.map((m) => m.content.execution_state)).toEqual(["busy", "idle"]);
    expect(iopub.every((m) => m.signatureOk)).toBe(true);
  });

  it("runs a cell: execute_input, streams, displays, clear_output and execute_result, in order", async () => {
    const { reply, iopub } = await client.execute(
      `print("hello"); eprint("warn"); display({"text/plain": "v1"}, {displayId: "d1"});
       display({"text/plain": "v2"}, {displayId: "d1", update: true}); clear(true); 40 + 2`,
    );
    expect(reply.content.status).toBe("ok");
    const n = reply.content.execution_count as number;
    expect(types(iopub)).toEqual([
      "status",
      "execute_input",
      "stream",
      "stream",
      "display_data",
      "update_display_data",
      "clear_output",
      "execute_result",
      "status",
    ]);
    expect(iopub[1]!.content).toEqual({ code: expect.stringContaining("print"), execution_count: n });
    expect(iopub[2]!.content).toEqual({ name: "stdout", text: "hello\n" });
    expect(iopub[3]!.content).toEqual({ name: "stderr", text: "warn\n" });
    expect(iopub[4]!.content).toMatchObject({ data: { "text/plain": "v1" }, transient: { display_id: "d1" } });
    expect(iopub[5]!.content).toMatchObject({ data: { "text/plain": "v2" }, transient: { display_id: "d1" } });
    expect(iopub[6]!.content).toEqual({ wait: true });
    expect(iopub[7]!.content).toEqual({ execution_count: n, data: { "text/plain": "42" }, metadata: {} });

    const next = await client.execute("1");
    expect(next.reply.content.execution_count).toBe(n + 1);
  });

  it("silent cells neither count nor publish outputs; user_expressions are evaluated", async () => {
    const before = (await client.execute("0")).reply.content.execution_count as number;
    const silent = await client.execute("print('hidden'); 5", { silent: true });
    expect(silent.reply.content).toMatchObject({ status: "ok", execution_count: before });
    expect(types(silent.iopub)).toEqual(["status", "status"]);

    const withExprs = await client.execute("globalThis.x = 7", { user_expressions: { double: "x * 2", bad: "nope(" } });
    expect(withExprs.reply.content.user_expressions.double).toEqual({
      status: "ok",
      data: { "text/plain": "14" },
      metadata: {},
    });
    expect(withExprs.reply.content.user_expressions.bad.status).toBe("error");
    const noHistory = await client.execute("3", { store_history: false });
    expect(noHistory.reply.content.execution_count).toBe(withExprs.reply.content.execution_count);
  });

  it("reports an error on IOPub and in the reply", async () => {
    const { reply, iopub } = await client.execute("throw new TypeError('bad thing')");
    expect(reply.content).toMatchObject({ status: "error", ename: "TypeError", evalue: "bad thing" });
    expect(Array.isArray(reply.content.traceback)).toBe(true);
    const err = iopub.find((m) => m.header.msg_type === "error")!;
    expect(err.content).toMatchObject({ ename: "TypeError", evalue: "bad thing" });
  });

  it("drops a message with a bad signature without running it, and keeps serving", async () => {
    const forged = client.frames(
      "execute_request",
      { code: "globalThis.pwned = true", silent: false },
      {
        sign: () => "0".repeat(64),
      },
    );
    await client.shell.send(forged.frames);
    // Malformed traffic: no delimiter, too few frames, a correctly signed header that is not JSON.
    await client.shell.send([Buffer.from("garbage")]);
    await client.shell.send([Buffer.from("<IDS|MSG>"), Buffer.from("x")]);
    const notJson = [Buffer.from("{not json"), Buffer.from("{}"), Buffer.from("{}"), Buffer.from("{}")];
    await client.shell.send([Buffer.from("<IDS|MSG>"), Buffer.from(hmac(notJson)), ...notJson]);

    const { reply } = await client.execute("typeof pwned");
    expect(reply.content.status).toBe("ok");
    expect(
      client.iopubIn.forParent(reply.parent_header.msg_id as string).find((m) => m.header.msg_type === "execute_result")!.content.data,
    ).toEqual({ "text/plain": "'undefined'" });
    expect(client.iopubIn.forParent(forged.id)).toEqual([]);
    expect(client.shellIn.all.some((m) => m.parent_header.msg_id === forged.id)).toBe(false);
    expect(logged.some((l) => /signature/.test(l))).toBe(true);
    expect(logged.some((l) => /not valid JSON/.test(l))).toBe(true);
  });

  it("serves control while a cell runs, and interrupt_request stops the cell", async () => {
    const execId = await client.send("shell", "execute_request", { code: "forever()", silent: false, stop_on_error: false });
    await client.iopubIn.next((m) => m.parent_header.msg_id === execId && m.header.msg_type === "execute_input");

    const info = await client.request("control", "kernel_info_request");
    expect(info.reply.content.implementation).toBe("steplab");
    expect(info.iopub.map((m) => m.content.execution_state)).toEqual(["busy", "idle"]);
    expect(client.shellIn.all.some((m) => m.parent_header.msg_id === execId)).toBe(false);

    const intr = await client.request("control", "interrupt_request");
    expect(intr.reply.header.msg_type).toBe("interrupt_reply");
    expect(intr.reply.content.status).toBe("ok");
    const execReply = await client.reply("shell", execId);
    expect(execReply.content).toMatchObject({ status: "error", ename: "Interrupted" });

    const after = await client.execute("'still alive'");
    expect(after.reply.content.status).toBe("ok");
  });

  it("stop_on_error aborts the execute_requests already queued", async () => {
    const failing = await client.send("shell", "execute_request", {
      code: "sleep(300).then(() => { throw new Error('first fails') })",
      stop_on_error: true,
    });
    const second = await client.send("shell", "execute_request", { code: "globalThis.ran2 = 1" });
    const info = await client.send("shell", "kernel_info_request");
    const third = await client.send("shell", "execute_request", { code: "globalThis.ran3 = 1" });

    expect((await client.reply("shell", failing)).content.status).toBe("error");
    const r2 = await client.reply("shell", second);
    const r3 = await client.reply("shell", third);
    expect(r2.content.status).toBe("aborted");
    expect(r3.content.status).toBe("aborted");
    expect((await client.reply("shell", info)).content.status).toBe("ok");
    await client.idle(third);
    expect(types(client.iopubIn.forParent(second))).toEqual(["status", "status"]);

    const check = await client.execute("typeof ran2 + typeof ran3");
    expect(check.iopub.find((m) => m.header.msg_type === "execute_result")!.content.data["text/plain"]).toBe("'undefinedundefined'");

    // stop_on_error: false lets the queue run on.
    const soft = await client.send("shell", "execute_request", {
      code: "sleep(100).then(() => { throw new Error('tolerated') })",
      stop_on_error: false,
    });
    const runs = await client.send("shell", "execute_request", { code: "'ran'" });
    expect((await client.reply("shell", soft)).content.status).toBe("error");
    expect((await client.reply("shell", runs)).content.status).toBe("ok");
    await client.idle(runs);
  });

  it("converts completion cursors between code points and UTF-16", async () => {
    await client.execute("globalThis.printable = 1");
    const code = "const s = '😀😀'; pri";
    const cursor = [...code].length; // code points: the emoji count once each
    const { reply } = await client.request("shell", "complete_request", { code, cursor_pos: cursor });
    expect(reply.content.status).toBe("ok");
    expect(reply.content.matches).toEqual(expect.arrayContaining(["print", "printable"]));
    expect(reply.content.cursor_end).toBe(cursor);
    expect(reply.content.cursor_start).toBe(cursor - 3);
  });

  it("answers inspect_request and is_complete_request", async () => {
    const found = await client.request("shell", "inspect_request", { code: "print", cursor_pos: 5, detail_level: 0 });
    expect(found.reply.content).toMatchObject({ status: "ok", found: true, data: { "text/plain": "print: function" } });
    const missing = await client.request("shell", "inspect_request", { code: "zzz", cursor_pos: 3, detail_level: 0 });
    expect(missing.reply.content).toMatchObject({ status: "ok", found: false, data: {} });

    const incomplete = await client.request("shell", "is_complete_request", { code: "function f() {" });
    expect(incomplete.reply.content).toEqual({ status: "incomplete", indent: "  " });
    const complete = await client.request("shell", "is_complete_request", { code: "1 + 1" });
    expect(complete.reply.content).toEqual({ status: "complete" });
  });

  it("answers history_request: tail, range and search", async () => {
    const a = await client.execute("'history-alpha'");
    await client.execute("'history-beta'");
    const tail = await client.request("shell", "history_request", {
      hist_access_type: "tail",
      n: 2,
      output: false,
      raw: true,
    });
    expect(tail.reply.content.history.map((h: unknown[]) => h[2])).toEqual(["'history-alpha'", "'history-beta'"]);
    const line = a.reply.content.execution_count as number;
    const range = await client.request("shell", "history_request", {
      hist_access_type: "range",
      session: 0,
      start: line,
      stop: line + 1,
      output: false,
      raw: true,
    });
    expect(range.reply.content.history).toEqual([[0, line, "'history-alpha'"]]);
    const search = await client.request("shell", "history_request", {
      hist_access_type: "search",
      pattern: "*beta*",
      output: false,
      raw: true,
    });
    expect(search.reply.content.history.map((h: unknown[]) => h[2])).toEqual(["'history-beta'"]);
  });

  it("closes a comm opened to an unknown target, like ipykernel", async () => {
    const info = await client.request("shell", "comm_info_request", {});
    expect(info.reply.content).toEqual({ status: "ok", comms: {} });
    // comm_open has no reply: its effects are on IOPub, between busy and idle.
    const id = await client.send("shell", "comm_open", { comm_id: "c-1", target_name: "nowhere", data: {} });
    await client.idle(id);
    const iopub = client.iopubIn.forParent(id);
    const close = iopub.find((m) => m.header.msg_type === "comm_close")!;
    expect(close.content.comm_id).toBe("c-1");
    expect(types(iopub)[0]).toBe("status");
  });

  it("asks for input on stdin only when the request allows it", async () => {
    const id = await client.send("shell", "execute_request", {
      code: "input('name? ').then((n) => 'hi ' + n)",
      allow_stdin: true,
    });
    const req = await client.stdinIn.next((m) => m.header.msg_type === "input_request");
    expect(req.content).toEqual({ prompt: "name? ", password: false });
    expect(req.parent_header.msg_id).toBe(id);
    await client.send("stdin", "input_reply", { value: "ada" });
    expect((await client.reply("shell", id)).content.status).toBe("ok");
    await client.idle(id);
    expect(client.iopubIn.forParent(id).find((m) => m.header.msg_type === "execute_result")!.content.data).toEqual({
      "text/plain": "'hi ada'",
    });

    const denied = await client.execute("input('x')", { allow_stdin: false, stop_on_error: false });
    expect(denied.reply.content).toMatchObject({ status: "error", evalue: "stdin not allowed" });
  });

  it("shuts down on shutdown_request after replying on control and IOPub", async () => {
    const other = new VmProtocolTestSession();
    const k = await startKernel({
      connection: localConnection(KEY),
      createSession: async () => other,
      log: () => {},
    });
    const c = new Client();
    await c.connect(k);
    await c.execute("1"); // the session exists only once a request needed it
    const id = await c.send("control", "shutdown_request", { restart: true });
    const reply = await c.reply("control", id);
    expect(reply.content).toEqual({ status: "ok", restart: true });
    expect(await k.finished).toEqual({ restart: true });
    expect(other.closed).toBe(true);
    const published = await c.iopubIn.next((m) => m.parent_header.msg_id === id && m.header.msg_type === "shutdown_reply");
    expect(published.content).toEqual({ status: "ok", restart: true });
    c.close();
  });
});

describe("kernel wire framing with an empty key", () => {
  it("sends and accepts unsigned messages", async () => {
    const k = await startKernel({
      connection: localConnection(""),
      createSession: async () => new VmProtocolTestSession(),
      log: () => {},
    });
    const shell = new zmq.Dealer({ linger: 0 });
    shell.connect(`tcp://127.0.0.1:${k.connection.shell_port}`);
    const header = { msg_id: randomUUID(), msg_type: "kernel_info_request", session: "s", username: "u", date: "", version: "5.3" };
    await shell.send([Buffer.from("<IDS|MSG>"), Buffer.from(""), ...[header, {}, {}, {}].map((d) => Buffer.from(JSON.stringify(d)))]);
    const frames = await shell.receive();
    expect(frames[1]!.toString()).toBe("");
    expect(JSON.parse(frames[3]!.toString()).msg_id).toBe(header.msg_id);
    shell.close();
    await k.shutdown();
  });
});
