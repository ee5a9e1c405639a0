/**
 * The terminal REPL driven through ink-testing-library: what a user types, what the screen shows.
 * The session is a small node:vm stand-in for runtime/session (which the REPL only calls through
 * the NotebookSession interface); the explorer reads a real LMDB store through the client API.
 */
import type React from "react";
import { afterEach, describe, expect, it } from "vitest";
import { render, cleanup } from "ink-testing-library";
import vm from "node:vm";
import { inspect } from "node:util";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReplApp, clientExplorerSource } from "../repl/index.js";
import {
  type CellSink,
  createSession,
  type ExecuteOptions,
  type ExecuteOutcome,
  InputHistory,
  type NotebookSession,
  type SessionState,
} from "../runtime/session/index.js";
import { StoreError } from "../errors/index.js";
import { encodeArtifact, openStore, sha256, typeName, type Store } from "../store/index.js";
import { storeReader } from "../store/index.js";

// ---------------------------------------------------------------------------------------------
// A NotebookSession stand-in: cells run in one node:vm context (the real session isolates them;
// the REPL cannot tell the difference through the interface).

class VmSession implements NotebookSession {
  readonly executed: { source: string; tags: string[] }[] = [];
  state: SessionState = { flow: "ReplTestFlow", stale: [], steps: [] };
  interrupts = 0;
  readonly history: InputHistory;
  private ctx = vm.createContext({});
  private abort: (() => void) | undefined;
  private sink: CellSink | undefined;

  /** `earlier`: inputs of an earlier session on the same store, oldest first. */
  constructor(earlier: string[] = []) {
    this.history = InputHistory.inMemory({ session: "repl", entries: earlier });
    Object.assign(this.ctx, {
      alphaValue: 1,
      alphaOther: 2,
      betaOnly: 3,
      console: {
        log: (...a: unknown[]) => this.sink?.stdout(`${a.map((x) => (typeof x === "string" ? x : inspect(x))).join(" ")}\n`),
        error: (...a: unknown[]) => this.sink?.stderr(`${a.map(String).join(" ")}\n`),
      },
      display: (v: unknown) => this.sink?.display({ "text/plain": inspect(v), "application/json": JSON.parse(JSON.stringify(v)) }),
      progress: (done: number, total: number) =>
        this.sink?.progress?.({ label: "ReplTestFlow/1", done, total, startedAt: Date.now(), finished: done === total }),
      hang: () => new Promise<void>(() => undefined),
      later: (v: unknown, ms: number) => new Promise((r) => setTimeout(() => r(v), ms)),
      markStale: (...names: string[]) => {
        this.state = { ...this.state, stale: names };
      },
    });
  }

  async execute(code: string, opts: ExecuteOptions): Promise<ExecuteOutcome> {
    this.executed.push({ source: code, tags: opts.tags ?? [] });
    // As the real session does: it records what it runs.
    if (!opts.silent && opts.storeHistory !== false) this.history.add(code, opts.executionCount);
    this.sink = opts.sink;
    const step = /^\/\/% step (\w+)/m.exec(code)?.[1] ?? `cell_${this.executed.length}`;
    this.state = { ...this.state, runId: "1700000000000001", currentStep: step };
    const aborted = new Promise<"aborted">((resolve) => (this.abort = () => resolve("aborted")));
    try {
      let value: unknown = new vm.Script(code).runInContext(this.ctx);
      if (value && typeof (value as { then?: unknown }).then === "function") {
        const settled = await Promise.race([value as Promise<unknown>, aborted]);
        if (settled === "aborted")
          return { status: "aborted", error: { ename: "Interrupted", evalue: "the cell was interrupted", traceback: [] } };
        value = settled;
      }
      if (value === undefined) return { status: "ok", step };
      let json: unknown;
      try {
        json = JSON.parse(JSON.stringify(value));
      } catch {
        json = undefined;
      }
      return { status: "ok", step, result: { "text/plain": inspect(value), ...(json !== undefined ? { "application/json": json } : {}) } };
    } catch (e) {
      const err = e as Error;
      return {
        status: "error",
        error: { ename: err.name, evalue: err.message, traceback: [`    at cell (cell_${this.executed.length}:1)`] },
      };
    } finally {
      this.abort = undefined;
    }
  }
  interrupt(): void {
    this.interrupts++;
    this.abort?.();
  }
  complete(code: string, cursor: number) {
    const word = /[\w$]*$/.exec(code.slice(0, cursor))?.[0] ?? "";
    const names = Object.getOwnPropertyNames(this.ctx)
      .filter((n) => n.startsWith(word))
      .sort();
    return { matches: names, cursorStart: cursor - word.length, cursorEnd: cursor };
  }
  inspect() {
    return { found: false, data: {} as Record<string, never> };
  }
  isComplete(code: string) {
    try {
      new vm.Script(code);
      return { status: "complete" as const };
    } catch (e) {
      return /end of input|Unterminated/.test((e as Error).message)
        ? { status: "incomplete" as const, indent: "  " }
        : { status: "invalid" as const };
    }
  }
  cells() {
    return this.executed;
  }
  async close(): Promise<void> {}
}

// ---------------------------------------------------------------------------------------------

const ENTER = "\r";
const CTRL_C = "\x03";
const CTRL_D = "\x04";
const CTRL_J = "\n";
const CTRL_R = "\x12";
const TAB = "\t";
const UP = "\x1b[A";
const DOWN = "\x1b[B";
const LEFT = "\x1b[D";
const BACKSPACE = "\x7f";

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
// eslint-disable-next-line no-control-regex
const plain = (s: string | undefined) => (s ?? "").replace(/\x1b\[[0-9;]*m/g, "");

function start(props: Partial<React.ComponentProps<typeof ReplApp>> = {}) {
  const session = (props.session as VmSession | undefined) ?? new VmSession();
  let exited = 0;
  const ui = render(<ReplApp session={session} onExit={() => exited++} {...props} />);
  const screen = () => plain(ui.lastFrame());
  return {
    session,
    ui,
    screen,
    exited: () => exited,
    /** Keys one at a time, as a person types them. */
    async type(text: string) {
      for (const ch of text) {
        ui.stdin.write(ch);
        await tick();
      }
    },
    async press(seq: string) {
      ui.stdin.write(seq);
      await tick(5);
    },
    async waitFor(what: string | RegExp, timeoutMs = 5000) {
      for (let waited = 0; ; waited += 10) {
        const s = screen();
        if (typeof what === "string" ? s.includes(what) : what.test(s)) return s;
        if (waited > timeoutMs) throw new Error(`screen never showed ${String(what)}:\n${s}`);
        await tick(10);
      }
    },
  };
}

/** The editable part of the screen: from the last `In [n]:` prompt down. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function promptArea(screen: string): string {
  const at = screen.lastIndexOf("In [");
  return at >= 0 ? screen.slice(at) : screen;
}

afterEach(() => cleanup());

describe("repl: editing and running cells", () => {
  it("shows typed text at the prompt and runs a complete cell on Enter", async () => {
    const r = start();
    await tick();
    await r.type("1 + 1");
    expect(promptArea(r.screen())).toContain("In [1]: 1 + 1");
    await r.press(ENTER);
    await r.waitFor("Out[1]: 2");
    expect(promptArea(r.screen())).toMatch(/^In \[2\]:\s*\n/);
    expect(r.session.executed.map((c) => c.source)).toEqual(["1 + 1"]);
  });

  it("inserts an indented newline when the cell is incomplete, and runs it once complete", async () => {
    const r = start();
    await tick();
    await r.type("function f() {");
    await r.press(ENTER);
    expect(r.session.executed).toHaveLength(0);
    expect(r.screen()).toMatch(/\.\.\.:\s*$/m);
    await r.type("return 40 + 2;");
    await r.press(ENTER);
    await r.type("}");
    await r.press(ENTER);
    await tick(50);
    expect(r.session.executed.map((c) => c.source)).toEqual(["function f() {\n  return 40 + 2;\n}"]);
    await r.type("f()");
    await r.press(ENTER);
    await r.waitFor("Out[2]: 42");
  });

  it("Ctrl-J and Alt-Enter insert a newline even in a complete cell; arrows move the cursor", async () => {
    const r = start();
    await tick();
    await r.type("1");
    await r.press(CTRL_J);
    await r.type("2");
    await r.press("\x1b\r");
    await r.type("3");
    expect(r.session.executed).toHaveLength(0);
    await r.press(UP);
    await r.press(UP);
    await r.type("0"); // the cursor moved to the end of line 1
    await r.press("\x01"); // Ctrl-A: start of line
    await r.type("-");
    await r.press(ENTER); // cursor not at the end of the cell: a newline, not a run
    expect(r.session.executed).toHaveLength(0);
    await r.press("\x1b[F"); // End
    await r.press(DOWN);
    await r.press(DOWN);
    await r.press(DOWN);
    await r.press("\x05"); // Ctrl-E
    await r.press(ENTER);
    await tick(50);
    expect(r.session.executed.map((c) => c.source)).toEqual(["-\n10\n2\n3"]);
  });

  it("takes a bracketed paste as one edit, newlines included, without running it", async () => {
    const r = start();
    await tick();
    await r.press("\x1b[200~const a = 1;\rconst b = 2;\r\x1b[201~");
    expect(r.session.executed).toHaveLength(0);
    const area = promptArea(r.screen());
    expect(area).toContain("In [1]: const a = 1;");
    expect(area).toContain("...: const b = 2;");
    await r.press(BACKSPACE); // the pasted trailing newline
    await r.press(ENTER);
    await tick(50);
    expect(r.session.executed.map((c) => c.source)).toEqual(["const a = 1;\nconst b = 2;"]);
    await r.type("a + b");
    await r.press(ENTER);
    await r.waitFor("Out[2]: 3");
  });

  it("takes a multi-character chunk without paste markers as text (a terminal without bracketed paste)", async () => {
    const r = start();
    await tick();
    await r.press("let x = [1,\r2];");
    expect(r.session.executed).toHaveLength(0);
    expect(promptArea(r.screen())).toContain("...: 2];");
    await r.press(ENTER);
    await r.type("x.length");
    await r.press(ENTER);
    await r.waitFor("Out[2]: 2");
  });

  it("keys that arrive in one read, Backspace included, edit the prompt as if typed one by one", async () => {
    const r = start();
    await tick();
    await r.press("abcd\x7f\x7fx"); // a busy REPL gets a fast typist's keys in one chunk
    expect(promptArea(r.screen())).toContain("In [1]: abx");
    await r.press("y\x15z"); // Ctrl-U among them
    expect(promptArea(r.screen())).toMatch(/In \[1\]: z\s*\n/);
    await r.press("\x7f1 + 22\x7f3\r");
    await r.waitFor("Out[1]: 24");
    expect(r.session.executed.map((c) => c.source)).toEqual(["1 + 23"]);
  });

  it("completes from the session: a single match is inserted, several show candidates and Tab cycles", async () => {
    const r = start();
    await tick();
    await r.type("betaO");
    await r.press(TAB);
    expect(promptArea(r.screen())).toContain("In [1]: betaOnly");
    await r.press("\x15"); // Ctrl-U clears the line
    await r.type("alp");
    await r.press(TAB);
    let area = promptArea(r.screen());
    expect(area).toContain("In [1]: alpha"); // the common prefix
    expect(area).toContain("alphaOther");
    expect(area).toContain("alphaValue");
    await r.press(TAB);
    expect(promptArea(r.screen())).toContain("In [1]: alphaOther");
    await r.press(TAB);
    area = promptArea(r.screen());
    expect(area).toContain("In [1]: alphaValue");
    await r.press(ENTER);
    await r.waitFor("Out[1]: 1");
  });
});

describe("repl: history", () => {
  it("walks history with Up/Down, keeps the draft, and the session's history has the cells", async () => {
    const r = start({ session: new VmSession(["old = 'from a past session'"]) });
    await tick();
    for (const cell of ["1 + 1", "2 + 2"]) {
      await r.type(cell);
      await r.press(ENTER);
    }
    await r.waitFor("Out[2]: 4");
    await r.type("draft");
    await r.press(UP);
    expect(promptArea(r.screen())).toContain("In [3]: 2 + 2");
    await r.press(UP);
    expect(promptArea(r.screen())).toContain("In [3]: 1 + 1");
    await r.press(UP);
    expect(promptArea(r.screen())).toContain("In [3]: old = 'from a past session'");
    await r.press(DOWN);
    await r.press(DOWN);
    await r.press(DOWN);
    expect(promptArea(r.screen())).toContain("In [3]: draft");
    expect(r.session.history.list().map((e) => e.source)).toEqual(["old = 'from a past session'", "1 + 1", "2 + 2"]);
  });

  it("Ctrl-R searches history backwards; Enter accepts the match into the prompt", async () => {
    const r = start({ session: new VmSession(["alphaValue * 10", "betaOnly * 100", "alphaValue * 1000"]) });
    await tick();
    await r.press(CTRL_R);
    await r.type("alpha");
    let s = r.screen();
    expect(s).toContain("reverse-i-search");
    expect(promptArea(s)).toContain("alphaValue * 1000");
    await r.press(CTRL_R); // older match
    expect(promptArea(r.screen())).toContain("alphaValue * 10");
    await r.press(ENTER); // accept
    s = r.screen();
    expect(s).not.toContain("reverse-i-search");
    expect(r.session.executed).toHaveLength(0);
    await r.press(ENTER);
    await r.waitFor("Out[1]: 10");
  });
});

describe("repl: output", () => {
  it("streams stdout and stderr, shows errors in red with their traceback, and tables for records", async () => {
    const r = start();
    await tick();
    await r.type('console.log("hello from the cell"); console.error("careful")');
    await r.press(ENTER);
    await r.waitFor("hello from the cell");
    await r.waitFor("careful");
    await r.type('throw new TypeError("bad input")');
    await r.press(ENTER);
    await r.waitFor("TypeError: bad input");
    expect(r.screen()).toContain("at cell (cell_2:1)");
    await r.type('[{name: "bird", score: 4}, {name: "mouse", score: 5}]');
    await r.press(ENTER);
    const s = await r.waitFor("mouse");
    const table = s.slice(s.indexOf("Out[3]"));
    expect(table).toMatch(/name\s+│\s+score/);
    expect(table).toMatch(/bird\s+│\s+4/);
    expect(table).toContain("─┼─");
  });

  it("a session failing outside any cell shows a steplab error as the kernel does: its message, no host frames", async () => {
    class ClosedStoreSession extends VmSession {
      override async execute(code: string, opts: ExecuteOptions): Promise<ExecuteOutcome> {
        if (code === "lost") throw new StoreError("the datastore was closed; start the REPL again");
        return super.execute(code, opts);
      }
    }
    const r = start({ session: new ClosedStoreSession() });
    await tick();
    await r.type("lost");
    await r.press(ENTER);
    const s = await r.waitFor("StoreError: the datastore was closed; start the REPL again");
    expect(s).not.toMatch(/^\s+at /m);
    await r.type("1 + 1");
    await r.press(ENTER);
    await r.waitFor("Out[2]: 2");
  });

  it("keeps finished cells in Static output above the prompt", async () => {
    const r = start();
    await tick();
    await r.type('"first"');
    await r.press(ENTER);
    await r.waitFor("Out[1]: 'first'");
    await r.type('"second"');
    await r.press(ENTER);
    const s = await r.waitFor("Out[2]: 'second'");
    expect(s.indexOf('In [1]: "first"')).toBeLessThan(s.indexOf("Out[1]: 'first'"));
    expect(s.indexOf("Out[1]: 'first'")).toBeLessThan(s.indexOf('In [2]: "second"'));
    expect(s.lastIndexOf("In [3]:")).toBeGreaterThan(s.indexOf("Out[2]"));
  });

  it("shows the status line from session.state and a live progress view while a cell runs", async () => {
    const r = start();
    await tick();
    expect(r.screen()).toContain("flow ReplTestFlow");
    await r.press('\x1b[200~//% step train\rmarkStale("evaluate", "report")\x1b[201~');
    await r.press(ENTER);
    await r.waitFor("stale: evaluate, report");
    expect(r.screen()).toContain("step train");
    await r.type("progress(3, 8); hang()");
    await r.press(ENTER);
    const s = await r.waitFor("3/8");
    expect(s).toContain("ReplTestFlow/1");
    expect(s).toContain("running cell [2]");
    await r.press(CTRL_C);
    await r.waitFor("Interrupted");
  });
});

describe("repl: Ctrl-C and Ctrl-D", () => {
  it("Ctrl-C interrupts a running cell and the session goes on", async () => {
    const r = start();
    await tick();
    await r.type("hang()");
    await r.press(ENTER);
    await r.waitFor("running cell [1]");
    await r.press(CTRL_C);
    await r.waitFor("Interrupted");
    expect(r.session.interrupts).toBe(1);
    expect(r.exited()).toBe(0);
    await r.type("1 + 2");
    await r.press(ENTER);
    await r.waitFor("Out[2]: 3");
  });

  it("Enter while a cell runs queues the typed-ahead cell to run after it", async () => {
    const r = start();
    await tick();
    await r.type("later('slow', 300)");
    await r.press(ENTER);
    await r.waitFor("running cell [1]");
    await r.type("1 + 1");
    await r.press(ENTER);
    expect(r.screen()).toContain("Queued");
    const s = await r.waitFor("Out[2]: 2");
    expect(s.indexOf("Out[1]: 'slow'")).toBeLessThan(s.indexOf("Out[2]: 2"));
  });

  it("Ctrl-C clears a non-empty prompt; twice on an empty prompt quits", async () => {
    const r = start();
    await tick();
    await r.type("some half-written cell");
    await r.press(CTRL_C);
    expect(promptArea(r.screen())).not.toContain("half-written");
    expect(r.exited()).toBe(0);
    await r.press(CTRL_C);
    expect(r.screen()).toContain("press Ctrl-C again");
    expect(r.exited()).toBe(0);
    await r.press(CTRL_C);
    expect(r.exited()).toBe(1);
  });

  it("Ctrl-D on an empty prompt quits; on text it deletes forward", async () => {
    const r = start();
    await tick();
    await r.type("ab");
    await r.press(LEFT);
    await r.press(CTRL_D);
    expect(promptArea(r.screen())).toMatch(/In \[1\]: a/);
    expect(r.exited()).toBe(0);
    await r.press(BACKSPACE);
    await r.press(CTRL_D);
    expect(r.exited()).toBe(1);
  });
});

describe("repl: notebooks", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("%save writes the session's cells as an nbformat 4.5 notebook with ids, kernelspec and directive tags", async () => {
    const dir = mkdtempSync(join(tmpdir(), "steplab-repl-"));
    dirs.push(dir);
    const r = start({ cwd: dir });
    await tick();
    await r.press("\x1b[200~//% step start\rself = { creatures: ['bird', 'dog'] }\x1b[201~");
    await r.press(ENTER);
    await r.waitFor("Out[1]");
    await r.type("%save saved.ipynb");
    await r.press(ENTER);
    await r.waitFor("Saved 1 cell");
    const nb = JSON.parse(readFileSync(join(dir, "saved.ipynb"), "utf8"));
    expect(nb.nbformat).toBe(4);
    expect(nb.nbformat_minor).toBe(5);
    expect(nb.metadata.kernelspec).toMatchObject({ name: "steplab", display_name: "TypeScript (steplab)" });
    expect(nb.cells).toHaveLength(1);
    expect(nb.cells[0].id).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(nb.cells[0].source.join("")).toBe("//% step start\nself = { creatures: ['bird', 'dog'] }");
    expect(nb.cells[0].metadata.tags).toEqual(["step:start"]);
  });

  it("an opened notebook is listed, not run; %run N and %runall run its cells through the session", async () => {
    const cells = [
      { cellType: "code" as const, source: "//% step start\nglobalThis.n = 1", tags: [] },
      { cellType: "markdown" as const, source: "# notes", tags: [] },
      { cellType: "code" as const, source: "n + 1", tags: ["step:next"] },
    ];
    const r = start({ initialCells: cells, notebookPath: "/tmp/demo.ipynb" });
    await tick();
    const s = r.screen();
    expect(s).toContain("Opened /tmp/demo.ipynb: 2 code cells");
    expect(s).toContain("[1] //% step start");
    expect(s).toContain("[2] n + 1");
    expect(r.session.executed).toHaveLength(0);
    await r.type("%run 1");
    await r.press(ENTER);
    await r.waitFor("Out[2]: 1");
    expect(r.session.executed).toEqual([{ source: "//% step start\nglobalThis.n = 1", tags: [] }]);
    await r.type("%runall");
    await r.press(ENTER);
    await r.waitFor("Out[5]: 2");
    expect(r.session.executed.map((c) => c.tags)).toEqual([[], [], ["step:next"]]);
    await r.type("%run 7");
    await r.press(ENTER);
    await r.waitFor("No cell 7");
  });
});

// ---------------------------------------------------------------------------------------------
// %explore over a real store.

async function seedStore(store: Store): Promise<string> {
  const runId = store.newRunId();
  const now = Date.now();
  await store.putRun({
    flow: "ZooFlow",
    runId,
    status: "succeeded",
    tags: ["demo"],
    parameters: {},
    createdAt: now,
    finishedAt: now + 1500,
  });
  const values: Record<string, unknown> = {
    animals: [
      { name: "bird", legs: 2 },
      { name: "dog", legs: 4 },
    ],
    note: "x".repeat(5000),
  };
  const blobs = new Map<string, Uint8Array>();
  const artifacts: Record<string, { sha: string; size: number; type: string }> = {};
  for (const [name, v] of Object.entries(values)) {
    const bytes = encodeArtifact(v);
    const sha = sha256(bytes);
    blobs.set(sha, bytes);
    artifacts[name] = { sha, size: bytes.length, type: typeName(v) };
  }
  await store.commitTask({
    task: {
      flow: "ZooFlow",
      runId,
      step: "start",
      taskId: "1",
      status: "succeeded",
      attempt: 0,
      artifacts,
      stack: [],
      inputs: [],
      startedAt: now,
      finishedAt: now + 700,
      next: { steps: ["end"] },
    },
    blobs,
    logs: { stdout: "counting animals\nthere are 2\n", stderr: "" },
  });
  await store.commitTask({
    task: {
      flow: "ZooFlow",
      runId,
      step: "end",
      taskId: "2",
      status: "succeeded",
      attempt: 0,
      artifacts: {},
      stack: [],
      inputs: ["1"],
      startedAt: now + 800,
      finishedAt: now + 900,
    },
    blobs: new Map(),
  });
  return runId;
}

describe("repl: %explore", () => {
  let store: Store | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    store = undefined;
    dir = undefined;
  });

  it("browses flows -> runs -> steps -> tasks -> artifacts and logs with the keyboard", async () => {
    dir = mkdtempSync(join(tmpdir(), "steplab-explore-"));
    store = openStore(join(dir, ".steplab"));
    const runId = await seedStore(store);
    const r = start({ explorer: clientExplorerSource(storeReader(store)) });
    await tick();
    await r.type("%explore");
    await r.press(ENTER);
    let s = await r.waitFor("steplab explorer");
    expect(s).toContain("› ZooFlow");
    await r.press(ENTER);
    s = await r.waitFor(runId);
    expect(s).toContain("succeeded");
    expect(s).toContain("demo");
    await r.press("\x1b[C"); // Right opens too
    s = await r.waitFor("› start");
    expect(s).toContain("end");
    await r.press("j");
    expect(r.screen()).toContain("› end");
    await r.press("k");
    await r.press(ENTER);
    s = await r.waitFor(`ZooFlow/${runId}/start`);
    expect(s).toContain("› 1");
    await r.press(ENTER);
    s = await r.waitFor("animals");
    expect(s).toMatch(/animals\s+Array/);
    expect(s).toMatch(/note\s+string/);
    expect(s).toContain("[stdout] 2 lines");
    await r.press(ENTER); // open `animals`: records as a table
    s = await r.waitFor("legs");
    expect(s).toMatch(/name\s+│\s+legs/);
    expect(s).toMatch(/dog\s+│\s+4/);
    await r.press(BACKSPACE); // back to the task
    await r.press(DOWN);
    await r.press(ENTER); // `note`: a long string, cut
    s = await r.waitFor("note");
    expect(s).toContain("string");
    expect(s).not.toContain("x".repeat(400));
    await r.press(LEFT);
    await r.press(DOWN);
    await r.press(ENTER); // stdout
    s = await r.waitFor("counting animals");
    expect(s).toContain("there are 2");
    await r.press("q");
    await r.waitFor(/In \[2\]:\s*$/m);
    expect(r.screen()).not.toContain("↑↓/jk");
    expect(r.exited()).toBe(0);
  });

  it("%explore FLOW opens that flow's runs", async () => {
    dir = mkdtempSync(join(tmpdir(), "steplab-explore-"));
    store = openStore(join(dir, ".steplab"));
    const runId = await seedStore(store);
    const r = start({ explorer: clientExplorerSource(storeReader(store)) });
    await tick();
    await r.type("%explore ZooFlow");
    await r.press(ENTER);
    await r.waitFor(runId);
    await r.press("\rj\r"); // keys typed ahead arrive as one chunk: open the run, move to `end`, open it
    await r.waitFor(`ZooFlow/${runId}/end`);
    await r.press("\x1b");
    await tick(20);
    await r.waitFor(/In \[2\]:\s*$/m);
  });
});

// ---------------------------------------------------------------------------------------------
// The same REPL over the real session (runtime/session): isolates, a real store, TypeScript's
// language service for completion.

describe("repl: with the real session", () => {
  let dir = "";
  let session: NotebookSession | undefined;
  afterEach(async () => {
    cleanup();
    await session?.close();
    session = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function startReal() {
    dir = mkdtempSync(join(tmpdir(), "steplab-repl-real-"));
    session = await createSession({ storeRoot: join(dir, ".steplab"), cwd: dir, historySession: "repl" });
    return start({ session: session as unknown as VmSession, cwd: dir });
  }
  const paste = (text: string) => `\x1b[200~${text.replace(/\n/g, "\r")}\x1b[201~`;

  it("shares one input history with every session on the store: a kernel's cells and the REPL's magics come back with Up", async () => {
    dir = mkdtempSync(join(tmpdir(), "steplab-repl-history-"));
    const storeRoot = join(dir, ".steplab");
    const kernelSession = await createSession({ storeRoot, cwd: dir, historySession: "kernel-1" });
    const quiet = { stdout() {}, stderr() {}, display() {}, clearOutput() {} };
    await kernelSession.execute("//% skip\n'from the kernel'", { sink: quiet, executionCount: 1 });
    await kernelSession.close();

    session = await createSession({ storeRoot, cwd: dir, historySession: "repl" });
    let r = start({ session: session as unknown as VmSession, cwd: dir });
    await tick();
    await r.type("6 * 7");
    await r.press(ENTER);
    await r.waitFor("Out[1]: 42", 30_000);
    await r.type("%cells");
    await r.press(ENTER);
    await r.waitFor("No notebook is open");
    cleanup();
    await session.close();

    session = await createSession({ storeRoot, cwd: dir, historySession: "repl" });
    r = start({ session: session as unknown as VmSession, cwd: dir });
    await tick();
    await r.press(UP);
    expect(promptArea(r.screen())).toContain("In [1]: %cells");
    await r.press(UP);
    expect(promptArea(r.screen())).toContain("In [1]: 6 * 7");
    await r.press(UP);
    expect(promptArea(r.screen())).toContain("'from the kernel'");
  });

  it("runs step cells, shows results and tables, and lists stale steps in the status line", async () => {
    const r = await startReal();
    await tick();
    await r.press(paste("//% step start\nself.x = 20;\nself.x + 1"));
    await r.press(ENTER);
    await r.waitFor("Out[1]: 21", 30_000);
    await r.press(paste("//% step double\nself.y = self.x * 2;\n[{ name: 'y', value: self.y }]"));
    await r.press(ENTER);
    const s = await r.waitFor(/value[\s\S]*40/, 30_000);
    expect(s).toMatch(/step double/);
    expect(s).toMatch(/run \d+/);
    await r.press(paste("//% step start\nself.x = 1;"));
    await r.press(ENTER);
    await r.waitFor("stale: double", 30_000);
    await r.type("%save nb.ipynb");
    await r.press(ENTER);
    await r.waitFor("Saved", 10_000);
    const nb = JSON.parse(readFileSync(join(dir, "nb.ipynb"), "utf8"));
    expect(nb.cells.map((c: { metadata: { tags?: string[] } }) => c.metadata.tags)).toEqual([["step:start"], ["step:double"]]);
  });

  it("Ctrl-C stops a runaway loop and the session goes on; Tab completes from the language service", async () => {
    const r = await startReal();
    await tick();
    await r.press(paste("//% step start\nself.n = 2;\nself.n"));
    await r.press(ENTER);
    await r.waitFor("Out[1]: 2", 30_000);
    await r.type("while (true) {}");
    await r.press(ENTER);
    await r.waitFor("running cell [2]", 30_000);
    await r.press(CTRL_C);
    await r.waitFor("In [3]:", 30_000);
    expect(r.screen()).toMatch(/interrupt/i);
    await r.press(paste("//% step after\n//% prev start\nMath.ma"));
    await r.press(TAB);
    // The language service's first answer loads TypeScript's libraries: wait for it, don't race it.
    for (let waited = 0; !promptArea(r.screen()).includes("Math.max") && waited < 30_000; waited += 50) await sleep(50);
    expect(promptArea(r.screen())).toContain("Math.max");
    await r.type("(self.n, 7)");
    await r.press(ENTER);
    await r.waitFor("Out[3]: 7", 30_000);
  });
});
