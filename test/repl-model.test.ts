/**
 * The REPL's model without Ink or a session: keys, the run queue and history search as
 * (state, action) -> (state, effects). The environment answers completeness by parsing the cell
 * with node:vm, as a JavaScript session would, and completes from a fixed list of names.
 */
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import {
  type Effect,
  INTERRUPTED,
  type KeyAction,
  QUEUED_NOTICE,
  type ReplAction,
  type ReplConfig,
  type ReplEnv,
  type ReplState,
  initialState,
  reduce,
} from "../repl/model/index.js";
import { explorerCommand, keysOf } from "../repl/explorer-keys.js";
import { type Content, type Frame, initialStack, type Level, navigate, top } from "../repl/explorer-model.js";
import type { ExecuteOutcome } from "../runtime/session/index.js";

const NAMES = ["alphaOther", "alphaValue", "betaOnly"];

function env(now = 1_000_000): ReplEnv {
  return {
    now,
    isComplete(code) {
      try {
        new vm.Script(code);
        return { status: "complete" };
      } catch (e) {
        return /end of input|Unterminated/.test((e as Error).message) ? { status: "incomplete", indent: "  " } : { status: "invalid" };
      }
    },
    complete(code, cursor) {
      const word = /[\w$]*$/.exec(code.slice(0, cursor))?.[0] ?? "";
      return { matches: NAMES.filter((n) => n.startsWith(word)), cursorStart: cursor - word.length, cursorEnd: cursor };
    },
  };
}

/** A REPL driven as a user drives it; every effect the model asked for is kept, in order. */
class Driver {
  state: ReplState;
  effects: Effect[] = [];
  now = 1_000_000;
  constructor(config: Partial<ReplConfig> = {}) {
    this.state = initialState({ canExplore: false, history: [], ...config });
  }
  act(action: ReplAction): Effect[] {
    const u = reduce(this.state, action, env(this.now));
    this.state = u.state;
    this.effects.push(...u.effects);
    return u.effects;
  }
  key(...keys: KeyAction[]): Effect[] {
    return keys.flatMap((key) => this.act({ type: "key", key }));
  }
  type(text: string): void {
    for (const ch of text) this.key({ type: "insert", text: ch });
  }
  finish(outcome: ExecuteOutcome): Effect[] {
    return this.act({ type: "finished", outcome });
  }
  get prompt(): string {
    return this.state.buf.text;
  }
  /** The transcript as a user reads it, one line per item. */
  get lines(): string[] {
    return this.state.transcript.slice(1).map((it) => {
      switch (it.kind) {
        case "input":
          return `In [${it.count}]: ${it.code}`;
        case "result":
          return `Out[${it.count}]: ${it.data["text/plain"]}`;
        case "stream":
          return `${it.name}: ${it.text}`;
        case "display":
          return `display: ${it.data["text/plain"]}`;
        case "error":
          return `${it.error.ename}: ${it.error.evalue}`;
        case "info":
          return it.text;
        case "listing":
          return `listing of ${it.cells.length} cells`;
        default:
          return "";
      }
    });
  }
  executed(): Extract<Effect, { type: "execute" }>[] {
    return this.effects.filter((e): e is Extract<Effect, { type: "execute" }> => e.type === "execute");
  }
}

const ENTER: KeyAction = { type: "submit" };
const ok = (text: string): ExecuteOutcome => ({ status: "ok", result: { "text/plain": text } });

describe("repl model: editing keys", () => {
  it("runs a complete cell on Enter: echoes it, asks the session to execute it, clears the prompt", () => {
    const r = new Driver();
    r.type("1 + 1");
    expect(r.key(ENTER)).toEqual([{ type: "execute", code: "1 + 1", count: 1, tags: [] }]);
    expect(r.prompt).toBe("");
    expect(r.lines).toEqual(["In [1]: 1 + 1"]);
    expect(r.state.live?.count).toBe(1);
    r.finish(ok("2"));
    expect(r.lines).toEqual(["In [1]: 1 + 1", "Out[1]: 2"]);
    expect(r.state.live).toBeUndefined();
  });

  it("adds an indented line when the cell is incomplete or the cursor is not at its end", () => {
    const r = new Driver();
    r.type("function f() {");
    expect(r.key(ENTER)).toEqual([]);
    expect(r.prompt).toBe("function f() {\n  ");
    r.type("return 1;");
    r.key(ENTER);
    r.type("}"); // a closing brace on an indent-only line steps back
    expect(r.prompt).toBe("function f() {\n  return 1;\n}");
    r.key({ type: "up" }, { type: "home" });
    expect(r.key(ENTER)).toEqual([]); // mid-cell: a newline, not a run
    expect(r.prompt).toBe("function f() {\n\n  return 1;\n}");
  });

  it("Up and Down move between lines first, then through the history, keeping the draft", () => {
    const r = new Driver({ history: ["old()", "older()"].reverse() });
    r.type("a");
    r.key({ type: "newline" });
    r.type("b");
    r.key({ type: "up" });
    expect(r.state.buf).toEqual({ text: "a\nb", cursor: 1 }); // moved up a line, not into the history
    r.key({ type: "up" });
    expect(r.prompt).toBe("old()");
    r.key({ type: "up" });
    expect(r.prompt).toBe("older()");
    r.key({ type: "up" }); // the oldest: stays
    expect(r.prompt).toBe("older()");
    r.key({ type: "down" }, { type: "down" });
    expect(r.prompt).toBe("a\nb");
  });

  it("Tab inserts a single completion, else the common prefix, then cycles through the matches", () => {
    const r = new Driver();
    r.type("bet");
    r.key({ type: "tab" });
    expect(r.prompt).toBe("betaOnly");
    r.key({ type: "kill-line-start" });
    r.type("alp");
    r.key({ type: "tab" });
    expect(r.prompt).toBe("alpha");
    expect(r.state.completion?.matches).toEqual(["alphaOther", "alphaValue"]);
    r.key({ type: "tab" });
    expect(r.prompt).toBe("alphaOther");
    r.key({ type: "tab" });
    expect(r.prompt).toBe("alphaValue");
    r.key({ type: "left" });
    expect(r.state.completion).toBeUndefined();
  });

  it("Ctrl-C clears the prompt; on an empty prompt it warns, and a second press within 2 s quits", () => {
    const r = new Driver();
    r.type("half a cell");
    r.key({ type: "interrupt" });
    expect(r.prompt).toBe("");
    expect(r.key({ type: "interrupt" })).toEqual([]);
    expect(r.state.notice).toContain("press Ctrl-C again");
    r.now += 2500; // too late: warns again
    expect(r.key({ type: "interrupt" })).toEqual([]);
    r.now += 1000;
    expect(r.key({ type: "interrupt" })).toEqual([{ type: "quit" }]);
    expect(r.state.exited).toBe(true);
    expect(r.key({ type: "eof" })).toEqual([]); // quits once
  });

  it("Ctrl-D quits on an empty prompt, deletes forward on text, and does not quit while a cell runs", () => {
    const r = new Driver();
    r.type("ab");
    r.key({ type: "left" });
    expect(r.key({ type: "eof" })).toEqual([]);
    expect(r.prompt).toBe("a");
    r.key({ type: "backspace" });
    r.type("hang()");
    r.key(ENTER);
    expect(r.key({ type: "eof" })).toEqual([]);
    r.finish({ status: "ok" });
    expect(r.key({ type: "eof" })).toEqual([{ type: "quit" }]);
  });
});

describe("repl model: history search", () => {
  const history = ["alphaValue * 10", "betaOnly * 100", "alphaValue * 1000"];

  it("Ctrl-R finds the newest match as the query grows, older ones on Ctrl-R, and Enter accepts without running", () => {
    const r = new Driver({ history });
    r.key({ type: "search" });
    r.type("alpha");
    expect(r.prompt).toBe("alphaValue * 1000");
    expect(r.state.search).toMatchObject({ query: "alpha", failed: false });
    r.key({ type: "search" });
    expect(r.prompt).toBe("alphaValue * 10");
    expect(r.key(ENTER)).toEqual([]);
    expect(r.state.search).toBeUndefined();
    expect(r.prompt).toBe("alphaValue * 10");
    expect(r.key(ENTER)).toEqual([{ type: "execute", code: "alphaValue * 10", count: 1, tags: [] }]);
  });

  it("a query that matches nothing is marked failed; Esc restores the prompt from before the search", () => {
    const r = new Driver({ history });
    r.type("draft");
    r.key({ type: "search" });
    r.type("gamma");
    expect(r.state.search?.failed).toBe(true);
    expect(r.prompt).toBe("draft");
    r.key({ type: "backspace" }, { type: "backspace" }, { type: "backspace" }, { type: "backspace" }, { type: "backspace" });
    r.type("beta");
    expect(r.prompt).toBe("betaOnly * 100");
    r.key({ type: "cancel" });
    expect(r.state.search).toBeUndefined();
    expect(r.prompt).toBe("draft");
  });

  it("a movement key accepts the match and then moves, as in readline", () => {
    const r = new Driver({ history });
    r.key({ type: "search" });
    r.type("beta");
    r.key({ type: "end" });
    expect(r.state.search).toBeUndefined();
    expect(r.state.buf).toEqual({ text: "betaOnly * 100", cursor: 14 });
  });

  it("submitted cells join the history for Up and Ctrl-R", () => {
    const r = new Driver({ history: ["first()"] });
    r.type("second()");
    r.key(ENTER);
    r.finish({ status: "ok" });
    r.key({ type: "up" });
    expect(r.prompt).toBe("second()");
    r.key({ type: "interrupt" }, { type: "search" });
    r.type("fir");
    expect(r.prompt).toBe("first()");
  });
});

describe("repl model: the run queue", () => {
  it("Enter while a cell runs queues the prompt; it runs when the cell ends, after the cell's output", () => {
    const r = new Driver();
    r.type("later()");
    r.key(ENTER);
    r.type("1 + 1");
    expect(r.key(ENTER)).toEqual([]);
    expect(r.state.notice).toBe(QUEUED_NOTICE);
    r.type(" + 1"); // still the prompt: editing goes on while it waits
    expect(r.finish(ok("'slow'"))).toEqual([{ type: "execute", code: "1 + 1 + 1", count: 2, tags: [] }]);
    expect(r.lines).toEqual(["In [1]: later()", "Out[1]: 'slow'", "In [2]: 1 + 1 + 1"]);
    expect(r.state.notice).toBeUndefined();
  });

  it("Ctrl-C interrupts the running cell and cancels a queued Enter", () => {
    const r = new Driver();
    r.type("hang()");
    r.key(ENTER);
    r.type("next()");
    r.key(ENTER);
    expect(r.key({ type: "interrupt" })).toEqual([{ type: "interrupt" }]);
    expect(r.state.live?.interrupting).toBe(true);
    expect(r.state.notice).toBeUndefined();
    expect(r.finish({ status: "aborted" })).toEqual([]);
    expect(r.lines).toEqual(["In [1]: hang()", INTERRUPTED]);
    expect(r.prompt).toBe("next()"); // kept, not run
  });

  const notebook: Partial<ReplConfig> = {
    notebookPath: "/tmp/nb.ipynb",
    cells: [
      { cellType: "code", id: "a", source: "//% step start\nx = 1", tags: [] },
      { cellType: "markdown", source: "# notes", tags: [] },
      { cellType: "code", id: "b", source: "x + 1", tags: ["step:next"] },
      { cellType: "code", id: "c", source: "x + 2", tags: [] },
    ],
  };

  it("%runall runs the notebook's code cells one at a time, each echoed with its own count", () => {
    const r = new Driver(notebook);
    r.type("%runall");
    expect(r.key(ENTER)).toEqual([
      { type: "record-history", source: "%runall", line: 1 },
      { type: "execute", code: "//% step start\nx = 1", count: 2, tags: [], cellId: "a" },
    ]);
    expect(r.finish({ status: "ok" })).toEqual([{ type: "execute", code: "x + 1", count: 3, tags: ["step:next"], cellId: "b" }]);
    r.finish(ok("2"));
    r.finish(ok("3"));
    expect(r.executed().map((e) => e.count)).toEqual([2, 3, 4]);
    expect(r.state.live).toBeUndefined();
    expect(r.lines).toEqual([
      "listing of 3 cells",
      "In [1]: %runall",
      "In [2]: //% step start\nx = 1",
      "In [3]: x + 1",
      "Out[3]: 2",
      "In [4]: x + 2",
      "Out[4]: 3",
    ]);
  });

  it("%runall stops after a failing cell, and after Ctrl-C", () => {
    const r = new Driver(notebook);
    r.type("%runall");
    r.key(ENTER);
    expect(r.finish({ status: "error", error: { ename: "TypeError", evalue: "bad", traceback: [] } })).toEqual([]);
    expect(r.lines.slice(-2)).toEqual(["TypeError: bad", "Stopped after cell 1 of 3."]);

    r.type("%runall");
    r.key(ENTER);
    r.finish({ status: "ok" });
    r.key({ type: "interrupt" });
    expect(r.finish({ status: "aborted" })).toEqual([]);
    expect(r.lines.slice(-2)).toEqual([INTERRUPTED, "Stopped after cell 2 of 3."]);
    r.type("%runall"); // a new %runall is not stopped by the old Ctrl-C
    r.key(ENTER);
    expect(r.finish({ status: "ok" })).toHaveLength(1);
  });

  it("%run N runs one notebook cell; a cell that does not exist is an error, not a run", () => {
    const r = new Driver(notebook);
    r.type("%run 2");
    expect(r.key(ENTER).at(-1)).toEqual({ type: "execute", code: "x + 1", count: 2, tags: ["step:next"], cellId: "b" });
    r.finish(ok("2"));
    r.type("%run 7");
    expect(r.key(ENTER)).toEqual([{ type: "record-history", source: "%run 7", line: 3 }]);
    expect(r.lines.at(-1)).toBe("No cell 7: the notebook has 3 code cells.");
  });

  it("the REPL's own magics: %save asks for a save, %explore needs a store, %cells lists the notebook", () => {
    const r = new Driver(notebook);
    r.type("%save");
    expect(r.key(ENTER)).toEqual([
      { type: "record-history", source: "%save", line: 1 },
      { type: "save", target: "/tmp/nb.ipynb" },
    ]);
    r.type("%explore");
    r.key(ENTER);
    expect(r.lines.at(-1)).toBe("%explore is not available: this REPL has no store to browse.");
    r.type("%cells");
    r.key(ENTER);
    expect(r.lines.at(-1)).toBe("listing of 3 cells");
    const bare = new Driver();
    bare.type("%save");
    bare.key(ENTER);
    expect(bare.lines.at(-1)).toBe("usage: %save FILE.ipynb");
    const explorable = new Driver({ canExplore: true });
    explorable.type("%explore ZooFlow");
    explorable.key(ENTER);
    expect(explorable.state.exploring).toEqual({ flow: "ZooFlow" });
    explorable.act({ type: "explorer-closed" });
    expect(explorable.state.exploring).toBeUndefined();
  });
});

describe("repl model: a running cell's output", () => {
  it("keeps an unfinished line live, prints complete lines, and merges a batch's lines into one item", () => {
    const r = new Driver();
    r.type("work()");
    r.key(ENTER);
    r.act({
      type: "output",
      events: [
        { type: "stream", name: "stdout", text: "one\ntw" },
        { type: "stream", name: "stdout", text: "o\nthr" },
      ],
    });
    expect(r.lines.slice(1)).toEqual(["stdout: one\ntwo\n"]);
    expect(r.state.live?.partial.stdout).toBe("thr");
    r.act({ type: "output", events: [{ type: "display", data: { "text/plain": "a chart" } }] });
    expect(r.lines.slice(1)).toEqual(["stdout: one\ntwo\n", "stdout: thr\n", "display: a chart"]);
  });

  it("a display with an id stays live and updatable until the cell ends; clear_output empties the live part", () => {
    const r = new Driver();
    r.type("work()");
    r.key(ENTER);
    const show = (text: string, update = false) =>
      r.act({ type: "output", events: [{ type: "display", data: { "text/plain": text }, displayId: "p", ...(update ? { update } : {}) }] });
    show("10%");
    show("50%", true);
    expect([...r.state.liveDisplays.values()].map((d) => d["text/plain"])).toEqual(["50%"]);
    r.act({ type: "output", events: [{ type: "clear" }, { type: "stream", name: "stderr", text: "half" }] });
    expect(r.state.liveDisplays.size).toBe(0);
    show("100%");
    r.act({ type: "output", events: [{ type: "progress", progress: { label: "F/1", done: 3, total: 8, startedAt: 0, finished: false } }] });
    expect(r.state.live?.progress.get("F/1")?.done).toBe(3);
    r.finish({ status: "ok" });
    expect(r.lines.slice(1)).toEqual(["stderr: half\n", "display: 100%"]);
    expect(r.state.liveDisplays.size).toBe(0);
  });
});

describe("explorer model: navigation", () => {
  // What each level shows, as a store with one flow, two runs and a long log would.
  const content = (level: Level): Content => {
    switch (level.kind) {
      case "flows":
        return { rows: [{ label: "ZooFlow", open: () => ({ kind: "runs", flow: "ZooFlow" }) }] };
      case "runs":
        return {
          rows: ["2", "1"].map((run) => ({ label: run, open: () => ({ kind: "steps", flow: level.flow, run }) })),
        };
      case "steps":
        return { rows: [{ label: "start" }] };
      default:
        return { lines: Array.from({ length: 50 }, (_, i) => `line ${i}`) };
    }
  };
  const view = { content, listHeight: 10 };
  const run = (stack: readonly Frame[], ...keys: string[]) =>
    keys.reduce((s, k) => {
      const cmd = explorerCommand(k === "\r" ? "" : k, k === "\r" ? { return: true } : {});
      return cmd ? navigate(s, cmd, view) : s;
    }, stack);

  it("opens the selected row, moves within bounds, and goes back up", () => {
    let s = run(
      initialStack(() => ["ZooFlow"]),
      "\r",
      "j",
      "j",
      "j",
    );
    expect(top(s)).toEqual({ level: { kind: "runs", flow: "ZooFlow" }, selected: 1 });
    s = run(s, "\r");
    expect(top(s).level).toEqual({ kind: "steps", flow: "ZooFlow", run: "1" });
    s = run(s, "\r"); // a row that opens nothing
    expect(s).toHaveLength(3);
    s = run(s, "h", "h", "h");
    expect(s).toHaveLength(1);
  });

  it("%explore FLOW starts at its runs with the flows one step back", () => {
    const s = initialStack(() => ["Other", "ZooFlow"], "ZooFlow");
    expect(s.map((f) => f.level.kind)).toEqual(["flows", "runs"]);
    expect(s[0]?.selected).toBe(1);
  });

  it("a detail view scrolls by line and by page, never past its last screen", () => {
    const s = [{ level: { kind: "log", flow: "F", run: "1", step: "s", task: "1", stream: "stdout" } as Level, selected: 0 }];
    expect(top(run(s, " ")).selected).toBe(10);
    expect(top(run(s, "G")).selected).toBe(40);
    expect(top(run(s, "G", "k", "g")).selected).toBe(0);
  });

  it("takes keys typed ahead in one chunk one by one, a CR as Enter; q leaves", () => {
    expect(keysOf("\rj\r", { ctrl: false, meta: false } as never).map(([i, k]) => [i, k.return ?? false])).toEqual([
      ["", true],
      ["j", false],
      ["", true],
    ]);
    expect(explorerCommand("q", {})).toEqual({ type: "leave" });
    expect(explorerCommand("", { escape: true })).toEqual({ type: "leave" });
  });
});
