/**
 * The terminal REPL: a thin front end over a NotebookSession. It edits cells, sends them to the
 * session, and shows what comes back; cell semantics (steps, artifacts, magics other than the
 * REPL's own) all live in the session.
 */
import type React from "react";
import { useEffect, useMemo, useRef, useState } from "react";
import { Box, Static, useApp, useInput, useStdout } from "ink";
import chalk from "chalk";
import { resolve as resolvePath } from "node:path";
import type { CellSink, ExecuteOutcome, MimeBundle, NotebookSession, SessionState } from "../runtime/session/index.js";
import * as ed from "./editor-state.js";
import { EditorView } from "./editor.js";
import { Explorer } from "./explorer.js";
import type { ExplorerSource } from "./explorer-source.js";
import { memoryHistory, newer, older, searchBack, type HistoryCursor, type HistoryStore } from "./history.js";
import { KeyDecoder, type Action } from "./keys.js";
import { isReplMagic, parseReplMagic, type ReplMagic } from "./magics.js";
import { saveNotebook, type ListedCell } from "./notebook-file.js";
import { OutputView, type NewOutputItem, type OutputItem } from "./output.js";
import { LiveView, StatusLine, type LiveState } from "./status.js";

export interface ReplAppProps {
  session: NotebookSession;
  /** Cells of a notebook opened with `steplab repl NB.ipynb`: listed, not run (`%run N`, `%runall`). */
  initialCells?: ListedCell[];
  /** The opened notebook's path: the default target of `%save`. */
  notebookPath?: string;
  historyStore?: HistoryStore;
  /** What `%explore` browses; without it `%explore` says it is unavailable. */
  explorer?: ExplorerSource;
  /** Directory `%save` paths are relative to (default: process.cwd()). */
  cwd?: string;
  /** Called once when the user quits (before Ink exits). */
  onExit?: () => void;
}

interface Completion {
  matches: string[];
  selected: number;
  start: number; // UTF-16 range in the buffer that the selected match replaces
  end: number;
}

interface Search {
  query: string;
  index: number | undefined;
  failed: boolean;
  original: ed.EditorState;
}

interface Model {
  buf: ed.EditorState;
  hist: HistoryCursor;
  completion: Completion | undefined;
  search: Search | undefined;
  running: boolean;
  live: LiveState | undefined;
  /** Displays with a displayId stay live (they can be updated) until their cell ends. */
  liveDisplays: Map<string, MimeBundle>;
  execCount: number;
  lastCtrlC: number;
  notice: string | undefined;
  stopAll: boolean;
  /** Enter was pressed while a cell ran: submit the prompt when it finishes. */
  enterQueued: boolean;
  exploring: { flow?: string } | undefined;
  exited: boolean;
}

const QUIT_WINDOW_MS = 2000;
const FLUSH_MS = 30;

function commonPrefix(words: string[]): string {
  if (words.length === 0) return "";
  let p = words[0] ?? "";
  for (const w of words) while (!w.startsWith(p)) p = p.slice(0, -1);
  return p;
}

function cellListing(cells: ListedCell[], path: string | undefined): string {
  const code = cells.filter((c) => c.cellType === "code");
  const head = `${path ? `Opened ${path}: ` : ""}${code.length} code cell${code.length === 1 ? "" : "s"} (nothing has run; %run N runs one, %runall runs them in order)`;
  const lines = [head];
  code.forEach((c, i) => {
    const src = c.source.split("\n");
    const firstLines = src.slice(0, 3).map((l, j) => (j === 0 ? `[${i + 1}] ` : "    ") + l);
    if (src.length > 3) firstLines.push(chalk.dim(`    … ${src.length - 3} more lines`));
    lines.push(...firstLines);
  });
  return lines.join("\n");
}

function safeState(session: NotebookSession): SessionState | undefined {
  try {
    return session.state;
  } catch {
    return undefined;
  }
}

function errorOutcome(e: unknown): ExecuteOutcome {
  const err = e instanceof Error ? e : new Error(String(e));
  return { status: "error", error: { ename: err.name, evalue: err.message, traceback: (err.stack ?? "").split("\n").slice(1) } };
}

export function ReplApp(props: ReplAppProps): React.JSX.Element {
  const { session } = props;
  const { exit } = useApp();
  const { stdout } = useStdout();
  const width = stdout.columns ?? 100;
  const history = useMemo(() => props.historyStore ?? memoryHistory(), [props.historyStore]);
  const decoder = useMemo(() => new KeyDecoder(), []);
  const codeCells = useMemo(() => (props.initialCells ?? []).filter((c) => c.cellType === "code"), [props.initialCells]);
  const nextId = useRef(0);
  const m = useRef<Model>({
    buf: ed.emptyEditor,
    hist: { index: Number.MAX_SAFE_INTEGER, draft: "" },
    completion: undefined,
    search: undefined,
    running: false,
    live: undefined,
    liveDisplays: new Map(),
    execCount: 0,
    lastCtrlC: 0,
    notice: undefined,
    stopAll: false,
    enterQueued: false,
    exploring: undefined,
    exited: false,
  });
  const [items, setItems] = useState<OutputItem[]>(() => {
    const first: NewOutputItem[] = [
      {
        kind: "info",
        tone: "dim",
        text: "steplab REPL · Enter runs a complete cell · Alt-Enter/Ctrl-J new line · Tab completes · Ctrl-R searches history · %explore browses runs · Ctrl-D quits",
      },
    ];
    if (props.initialCells) first.push({ kind: "info", text: cellListing(props.initialCells, props.notebookPath) });
    return first.map((it) => ({ ...it, id: nextId.current++ }) as OutputItem);
  });
  const [, setTick] = useState(0);
  const rerender = () => setTick((t) => t + 1);
  const [frame, setFrame] = useState(0);

  // Output is batched: a cell printing thousands of lines must not re-render once per line.
  const pending = useRef<NewOutputItem[]>([]);
  const flushTimer = useRef<NodeJS.Timeout | undefined>(undefined);
  const flush = () => {
    if (flushTimer.current) clearTimeout(flushTimer.current);
    flushTimer.current = undefined;
    const batch = pending.current;
    pending.current = [];
    if (batch.length) setItems((prev) => [...prev, ...batch.map((it) => ({ ...it, id: nextId.current++ }) as OutputItem)]);
    rerender();
  };
  const scheduleFlush = () => {
    if (!flushTimer.current) flushTimer.current = setTimeout(flush, FLUSH_MS);
  };
  const push = (item: NewOutputItem, now = false) => {
    pending.current.push(item);
    if (now) flush();
    else scheduleFlush();
  };
  useEffect(() => () => clearTimeout(flushTimer.current), []);

  // The spinner and elapsed time tick only while something runs.
  const running = m.current.running;
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => setFrame((f) => f + 1), 100);
    return () => clearInterval(t);
  }, [running]);

  const quit = () => {
    if (m.current.exited) return;
    m.current.exited = true;
    flush();
    props.onExit?.();
    // Render once more without the prompt, so the terminal keeps the transcript, not a dead prompt.
    setTimeout(() => exit(), 0);
  };

  const pushStream = (name: "stdout" | "stderr", text: string) => {
    const live = m.current.live;
    if (!live) {
      push({ kind: "stream", name, text });
      return;
    }
    const all = live.partial[name] + text;
    const cut = all.lastIndexOf("\n");
    if (cut >= 0) {
      const complete = all.slice(0, cut + 1);
      live.partial[name] = all.slice(cut + 1);
      const last = pending.current[pending.current.length - 1];
      if (last && last.kind === "stream" && last.name === name) last.text += complete;
      else pending.current.push({ kind: "stream", name, text: complete });
    } else {
      live.partial[name] = all;
    }
    scheduleFlush();
  };

  const flushPartials = () => {
    const live = m.current.live;
    if (!live) return;
    for (const name of ["stdout", "stderr"] as const) {
      if (live.partial[name]) pushStream(name, "\n");
    }
  };

  const makeSink = (): CellSink => ({
    stdout: (t) => pushStream("stdout", t),
    stderr: (t) => pushStream("stderr", t),
    display: (data, opts) => {
      if (opts?.displayId) {
        if (opts.update && !m.current.liveDisplays.has(opts.displayId)) return;
        m.current.liveDisplays.set(opts.displayId, data);
        rerender();
        return;
      }
      flushPartials();
      push({ kind: "display", data });
    },
    clearOutput: () => {
      const live = m.current.live;
      if (live) live.partial = { stdout: "", stderr: "" };
      m.current.liveDisplays.clear();
      rerender();
    },
    progress: (p) => {
      m.current.live?.progress.set(p.label, p);
      scheduleFlush();
    },
  });

  /** Runs one cell through the session, streaming its output; resolves with the outcome. */
  const executeCell = async (code: string, count: number, tags: string[], cellId?: string): Promise<ExecuteOutcome> => {
    const model = m.current;
    model.live = { count, startedAt: Date.now(), partial: { stdout: "", stderr: "" }, progress: new Map(), interrupting: false };
    model.liveDisplays = new Map();
    rerender();
    let outcome: ExecuteOutcome;
    try {
      outcome = await session.execute(code, { sink: makeSink(), tags, executionCount: count, ...(cellId !== undefined ? { cellId } : {}) });
    } catch (e) {
      outcome = errorOutcome(e);
    }
    flushPartials();
    for (const data of model.liveDisplays.values()) push({ kind: "display", data });
    model.liveDisplays = new Map();
    if (outcome.status === "ok" && outcome.result) push({ kind: "result", count, data: outcome.result });
    if (outcome.error) push({ kind: "error", error: outcome.error });
    else if (outcome.status === "aborted")
      push({ kind: "info", tone: "warn", text: "Interrupted (the session goes on; committed artifacts are kept)" });
    else if (outcome.status === "error") push({ kind: "info", tone: "error", text: "The cell failed." });
    model.live = undefined;
    flush();
    return outcome;
  };

  const runNotebookCell = async (index: number): Promise<ExecuteOutcome | undefined> => {
    const cell = codeCells[index - 1];
    if (!cell) {
      push(
        {
          kind: "info",
          tone: "error",
          text: `No cell ${index}: the notebook has ${codeCells.length} code cell${codeCells.length === 1 ? "" : "s"}.`,
        },
        true,
      );
      return undefined;
    }
    const count = ++m.current.execCount;
    push({ kind: "input", count, code: cell.source, note: `cell ${index}${cell.tags.length ? ` · tags: ${cell.tags.join(", ")}` : ""}` });
    return executeCell(cell.source, count, cell.tags, cell.id);
  };

  const runMagic = async (magic: ReplMagic): Promise<void> => {
    switch (magic.name) {
      case "usage":
        push({ kind: "info", tone: "error", text: magic.message });
        return;
      case "exit":
        quit();
        return;
      case "cells":
        push({
          kind: "info",
          text: props.initialCells
            ? cellListing(props.initialCells, props.notebookPath)
            : "No notebook is open (start with `steplab repl NOTEBOOK.ipynb`).",
        });
        return;
      case "explore":
        if (!props.explorer) {
          push({ kind: "info", tone: "error", text: "%explore is not available: this REPL has no store to browse." });
          return;
        }
        flush();
        m.current.exploring = magic.flow ? { flow: magic.flow } : {};
        rerender();
        return;
      case "save": {
        const target = magic.file ?? props.notebookPath;
        if (!target) {
          push({ kind: "info", tone: "error", text: "usage: %save FILE.ipynb" });
          return;
        }
        const file = resolvePath(props.cwd ?? process.cwd(), /\.[^/\\]+$/.test(target) ? target : `${target}.ipynb`);
        const cells = session.cells();
        saveNotebook(file, cells);
        push({ kind: "info", tone: "ok", text: `Saved ${cells.length} cell${cells.length === 1 ? "" : "s"} to ${file}` });
        return;
      }
      case "run":
        await runNotebookCell(magic.index);
        return;
      case "runall": {
        if (codeCells.length === 0) {
          push({ kind: "info", tone: "error", text: "No notebook cells to run (start with `steplab repl NOTEBOOK.ipynb`)." });
          return;
        }
        m.current.stopAll = false;
        for (let i = 1; i <= codeCells.length; i++) {
          const outcome = await runNotebookCell(i);
          if (outcome?.status !== "ok" || m.current.stopAll) {
            if (i < codeCells.length) push({ kind: "info", tone: "warn", text: `Stopped after cell ${i} of ${codeCells.length}.` });
            return;
          }
        }
        return;
      }
    }
  };

  /** Enter on a complete cell: echo it, record it, run it. */
  const submit = async (code: string) => {
    const model = m.current;
    model.buf = ed.emptyEditor;
    model.hist = { index: Number.MAX_SAFE_INTEGER, draft: "" };
    model.completion = undefined;
    model.running = true;
    model.notice = undefined;
    history.add(code);
    const magic = parseReplMagic(code);
    try {
      const count = ++model.execCount;
      push({ kind: "input", count, code });
      if (magic) await runMagic(magic);
      else await executeCell(code, count, []);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      push({ kind: "error", error: { ename: err.name, evalue: err.message, traceback: [] } });
    } finally {
      model.running = false;
      model.live = undefined;
      flush();
    }
    if (model.enterQueued) {
      model.enterQueued = false;
      model.notice = undefined;
      enter();
      rerender();
    }
  };

  const enter = () => {
    const model = m.current;
    const code = model.buf.text;
    if (model.running) {
      // Typed ahead: run this cell when the current one finishes (Ctrl-C cancels both).
      model.enterQueued = true;
      model.notice = "Queued: runs when the current cell finishes (Ctrl-C interrupts).";
      return;
    }
    if (code.trim() === "") {
      model.buf = ed.emptyEditor;
      return;
    }
    const atEnd = code.slice(model.buf.cursor).trim() === "";
    if (isReplMagic(code) && !code.trim().includes("\n")) {
      void submit(code.trim());
      return;
    }
    let status: string = "unknown";
    let indent = "";
    try {
      const r = session.isComplete(code);
      status = r.status;
      indent = r.indent ?? "";
    } catch {
      status = "unknown";
    }
    if (status === "incomplete" || !atEnd) {
      const lineIndent = /^[ \t]*/.exec(ed.textBeforeCursorOnLine(model.buf))?.[0] ?? "";
      model.buf = ed.insert(model.buf, `\n${status === "incomplete" && indent ? indent : lineIndent}`);
      return;
    }
    void submit(code.replace(/\s+$/, ""));
  };

  const tab = () => {
    const model = m.current;
    const c = model.completion;
    if (c && c.matches.length > 1) {
      const selected = (c.selected + 1) % c.matches.length;
      const match = c.matches[selected] ?? "";
      model.buf = ed.replaceRange(model.buf, c.start, c.end, match);
      model.completion = { ...c, selected, end: c.start + match.length };
      return;
    }
    if (ed.textBeforeCursorOnLine(model.buf).trim() === "") {
      model.buf = ed.insert(model.buf, "  ");
      return;
    }
    let r: ReturnType<typeof session.complete>;
    try {
      r = session.complete(model.buf.text, ed.toCodePoints(model.buf.text, model.buf.cursor));
    } catch {
      return;
    }
    const matches = [...new Set(r.matches)];
    if (matches.length === 0) {
      model.notice = "no completions";
      return;
    }
    const start = ed.fromCodePoints(model.buf.text, r.cursorStart);
    const end = ed.fromCodePoints(model.buf.text, r.cursorEnd);
    const typed = model.buf.text.slice(start, end);
    if (matches.length === 1) {
      model.buf = ed.replaceRange(model.buf, start, end, matches[0] ?? typed);
      model.completion = undefined;
      return;
    }
    const prefix = commonPrefix(matches);
    const insertText = prefix.length > typed.length ? prefix : typed;
    model.buf = ed.replaceRange(model.buf, start, end, insertText);
    model.completion = { matches, selected: -1, start, end: start + insertText.length };
  };

  const startOrContinueSearch = (query: string, from: number) => {
    const model = m.current;
    const entries = history.list();
    const original = model.search?.original ?? model.buf;
    const found = query === "" ? undefined : searchBack(entries, query, from);
    if (found !== undefined) {
      const text = entries[found] ?? "";
      const at = text.lastIndexOf(query);
      model.buf = ed.editorOf(text, at >= 0 ? at : text.length);
    }
    model.search = {
      query,
      index: found ?? model.search?.index,
      failed: query !== "" && found === undefined,
      original,
    };
  };

  const handleSearchKey = (a: Action): boolean => {
    const model = m.current;
    const s = model.search;
    if (!s) return false;
    const entries = history.list();
    switch (a.type) {
      case "search":
        startOrContinueSearch(s.query, s.index === undefined ? entries.length - 1 : s.index - 1);
        return true;
      case "insert":
        startOrContinueSearch(s.query + a.text, s.index ?? entries.length - 1);
        return true;
      case "backspace":
        startOrContinueSearch(s.query.slice(0, -1), entries.length - 1);
        return true;
      case "cancel":
      case "interrupt":
        model.buf = s.original;
        model.search = undefined;
        return true;
      case "submit":
      case "newline":
        model.search = undefined;
        model.buf = ed.editorOf(model.buf.text);
        return true;
      default:
        // Any movement accepts the match and then moves, as in readline.
        model.search = undefined;
        return false;
    }
  };

  const interrupt = () => {
    const model = m.current;
    if (model.running) {
      model.stopAll = true;
      model.enterQueued = false;
      if (model.live) model.live.interrupting = true;
      try {
        session.interrupt();
      } catch {
        // An interrupt that cannot be delivered leaves the cell running; the user can press again.
      }
      return;
    }
    if (model.buf.text !== "") {
      model.buf = ed.emptyEditor;
      model.completion = undefined;
      model.hist = { index: Number.MAX_SAFE_INTEGER, draft: "" };
      model.lastCtrlC = 0;
      return;
    }
    const now = Date.now();
    if (now - model.lastCtrlC <= QUIT_WINDOW_MS) {
      quit();
      return;
    }
    model.lastCtrlC = now;
    model.notice = "(To exit, press Ctrl-C again or Ctrl-D)";
  };

  const apply = (a: Action) => {
    const model = m.current;
    if (a.type === "none") return;
    if (a.type !== "interrupt") model.lastCtrlC = 0;
    if (model.notice && a.type !== "interrupt") model.notice = undefined;
    if (handleSearchKey(a)) return;
    if (a.type !== "tab") model.completion = undefined;
    const buf = model.buf;
    switch (a.type) {
      case "insert": {
        // A closing bracket typed on an indent-only line steps back one level, as editors do.
        const before = ed.textBeforeCursorOnLine(buf);
        const dedent = /^[}\])]$/.test(a.text) && /^ {2,}$/.test(before);
        model.buf = ed.insert(
          dedent ? ed.editorOf(buf.text.slice(0, buf.cursor - 2) + buf.text.slice(buf.cursor), buf.cursor - 2) : buf,
          a.text,
        );
        break;
      }
      case "insert-submit":
        model.buf = ed.insert(buf, a.text);
        enter();
        break;
      case "submit":
        enter();
        break;
      case "newline":
        model.buf = ed.insert(buf, `\n${/^[ \t]*/.exec(ed.textBeforeCursorOnLine(buf))?.[0] ?? ""}`);
        break;
      case "backspace":
        model.buf = ed.backspace(buf);
        break;
      case "delete-forward":
        model.buf = ed.deleteForward(buf);
        break;
      case "left":
        model.buf = ed.left(buf);
        break;
      case "right":
        model.buf = ed.right(buf);
        break;
      case "home":
        model.buf = ed.lineStart(buf);
        break;
      case "end":
        model.buf = ed.lineEnd(buf);
        break;
      case "up": {
        const moved = ed.up(buf);
        if (moved) model.buf = moved;
        else {
          const h = older(history.list(), model.hist, buf.text);
          if (h) {
            model.hist = h.cursor;
            model.buf = ed.editorOf(h.text);
          }
        }
        break;
      }
      case "down": {
        const moved = ed.down(buf);
        if (moved) model.buf = moved;
        else {
          const h = newer(history.list(), model.hist, buf.text);
          if (h) {
            model.hist = h.cursor;
            model.buf = ed.editorOf(h.text);
          }
        }
        break;
      }
      case "tab":
        tab();
        break;
      case "interrupt":
        interrupt();
        break;
      case "eof":
        if (buf.text === "" && !model.running) quit();
        else model.buf = ed.deleteForward(buf);
        break;
      case "search":
        startOrContinueSearch("", history.list().length - 1);
        break;
      case "cancel":
        break;
      case "kill-line-start":
        model.buf = ed.killToLineStart(buf);
        break;
      case "kill-line-end":
        model.buf = ed.killToLineEnd(buf);
        break;
      case "delete-word":
        model.buf = ed.deleteWordBack(buf);
        break;
    }
  };

  useInput(
    (input, key) => {
      apply(decoder.decode(input, key));
      rerender();
    },
    { isActive: m.current.exploring === undefined },
  );

  const model = m.current;
  const state = safeState(session);
  if (model.exited) return <Static items={items}>{(item) => <OutputView key={item.id} item={item} width={width} />}</Static>;
  return (
    <Box flexDirection="column">
      <Static items={items}>{(item) => <OutputView key={item.id} item={item} width={width} />}</Static>
      {model.exploring && props.explorer ? (
        <Explorer
          source={props.explorer}
          {...(model.exploring.flow ? { flow: model.exploring.flow } : {})}
          onExit={() => {
            m.current.exploring = undefined;
            rerender();
          }}
        />
      ) : (
        <Box flexDirection="column">
          {[...model.liveDisplays.entries()].map(([key, d]) => (
            <OutputView key={`live-${key}`} item={{ id: -1, kind: "display", data: d }} width={width} />
          ))}
          {model.live ? <LiveView live={model.live} frame={frame} now={Date.now()} /> : null}
          <Box marginTop={model.live ? 0 : 1}>
            <EditorView
              state={model.buf}
              count={model.execCount + 1}
              completion={model.completion}
              search={model.search ? { query: model.search.query, failed: model.search.failed } : undefined}
              width={width}
              busy={model.running}
            />
          </Box>
          <StatusLine state={state} notice={model.notice} />
        </Box>
      )}
    </Box>
  );
}
