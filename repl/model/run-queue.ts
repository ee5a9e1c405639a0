/**
 * Running cells: Enter on a complete cell submits it; a cell runs at a time, the rest wait in a
 * queue (a `%runall`'s cells) or as a queued Enter (typed ahead while a cell runs); Ctrl-C
 * interrupts the running cell and drops what waits.
 */
import type { ExecuteOutcome } from "../../runtime/session/index.js";
import type { Effect, ReplEnv, Update } from "./actions.js";
import * as ed from "./editor-state.js";
import { atDraft } from "./history-cursor.js";
import { parseReplMagic, isReplMagic, type ReplMagic } from "./magics.js";
import { endCell } from "./output.js";
import { codeCells, isBusy, type Job, listing, print, type ReplState } from "./state.js";

export const QUEUED_NOTICE = "Queued: runs when the current cell finishes (Ctrl-C interrupts).";
const QUIT_WINDOW_MS = 2000;

/** Enter: run the prompt if it is a complete cell with the cursor at its end, else add a line. */
export function enter(s: ReplState, env: ReplEnv): Update {
  const code = s.buf.text;
  // Typed ahead: run this cell when the current one finishes (Ctrl-C cancels both).
  if (isBusy(s)) return { state: { ...s, enterQueued: true, notice: QUEUED_NOTICE }, effects: [] };
  if (code.trim() === "") return { state: { ...s, buf: ed.emptyEditor }, effects: [] };
  if (isReplMagic(code) && !code.trim().includes("\n")) return submit(s, code.trim(), env);
  const atEnd = code.slice(s.buf.cursor).trim() === "";
  let status = "unknown";
  let indent = "";
  try {
    const r = env.isComplete(code);
    status = r.status;
    indent = r.indent ?? "";
  } catch {
    status = "unknown";
  }
  if (status === "incomplete" || !atEnd) {
    const lineIndent = /^[ \t]*/.exec(ed.textBeforeCursorOnLine(s.buf))?.[0] ?? "";
    return { state: { ...s, buf: ed.insert(s.buf, `\n${status === "incomplete" && indent ? indent : lineIndent}`) }, effects: [] };
  }
  return submit(s, code.replace(/\s+$/, ""), env);
}

/** A complete cell: echo it, add it to the history, run it (or answer it, for the REPL's magics). */
function submit(s0: ReplState, code: string, env: ReplEnv): Update {
  const count = s0.execCount + 1;
  let s: ReplState = {
    ...s0,
    buf: ed.emptyEditor,
    hist: atDraft,
    completion: undefined,
    notice: undefined,
    history: [...s0.history, code],
    execCount: count,
  };
  s = print(s, { kind: "input", count, code });
  const magic = parseReplMagic(code);
  if (!magic) return startNext({ ...s, queue: [...s.queue, { code, tags: [], count }] }, env, []);
  // The session records the cells it runs; the REPL's own magics it records here.
  return replMagic(s, magic, env, [{ type: "record-history", source: code, line: count }]);
}

function replMagic(s: ReplState, magic: ReplMagic, env: ReplEnv, effects: Effect[]): Update {
  const error = (text: string): Update => ({ state: print(s, { kind: "info", tone: "error", text }), effects });
  const cells = codeCells(s.config);
  switch (magic.name) {
    case "usage":
      return error(magic.message);
    case "exit":
      return quit(s, effects);
    case "cells":
      return s.config.cells
        ? { state: print(s, listing(s.config)), effects }
        : { state: print(s, { kind: "info", text: "No notebook is open (start with `steplab repl NOTEBOOK.ipynb`)." }), effects };
    case "explore":
      if (!s.config.canExplore) return error("%explore is not available: this REPL has no store to browse.");
      return { state: { ...s, exploring: magic.flow ? { flow: magic.flow } : {} }, effects };
    case "save": {
      const target = magic.file ?? s.config.notebookPath;
      if (!target) return error("usage: %save FILE.ipynb");
      return { state: s, effects: [...effects, { type: "save", target }] };
    }
    case "run": {
      const cell = cells[magic.index - 1];
      if (!cell) return error(`No cell ${magic.index}: the notebook has ${cells.length} code cell${cells.length === 1 ? "" : "s"}.`);
      return startNext({ ...s, queue: [...s.queue, notebookJob(cell, magic.index)] }, env, effects);
    }
    case "runall": {
      if (cells.length === 0) return error("No notebook cells to run (start with `steplab repl NOTEBOOK.ipynb`).");
      const jobs = cells.map((cell, i) => ({ ...notebookJob(cell, i + 1), batch: { index: i + 1, total: cells.length } }));
      return startNext({ ...s, stopAll: false, queue: [...s.queue, ...jobs] }, env, effects);
    }
  }
}

function notebookJob(cell: { id?: string; source: string; tags: string[] }, index: number): Job {
  return {
    code: cell.source,
    tags: cell.tags,
    ...(cell.id !== undefined ? { cellId: cell.id } : {}),
    note: `cell ${index}${cell.tags.length ? ` · tags: ${cell.tags.join(", ")}` : ""}`,
  };
}

/** Starts the next queued cell when none runs; with none queued, a queued Enter is pressed now. */
function startNext(s: ReplState, env: ReplEnv, effects: Effect[]): Update {
  if (isBusy(s)) return { state: s, effects };
  const [job, ...rest] = s.queue;
  if (!job) {
    if (!s.enterQueued) return { state: { ...s, stopAll: false }, effects };
    const next = enter({ ...s, stopAll: false, enterQueued: false, notice: undefined }, env);
    return { state: next.state, effects: [...effects, ...next.effects] };
  }
  let state: ReplState = { ...s, queue: rest };
  let count = job.count;
  if (count === undefined) {
    count = state.execCount + 1;
    state = print({ ...state, execCount: count }, { kind: "input", count, code: job.code, ...(job.note ? { note: job.note } : {}) });
  }
  state = {
    ...state,
    live: {
      count,
      startedAt: env.now,
      partial: { stdout: "", stderr: "" },
      progress: new Map(),
      interrupting: false,
      ...(job.batch ? { batch: job.batch } : {}),
    },
    liveDisplays: new Map(),
  };
  const execute: Effect = { type: "execute", code: job.code, count, tags: job.tags, ...(job.cellId ? { cellId: job.cellId } : {}) };
  return { state, effects: [...effects, execute] };
}

/** The running cell ended: print its outcome, then run what waits (unless it failed or was stopped). */
export function finished(s0: ReplState, outcome: ExecuteOutcome, env: ReplEnv): Update {
  const batch = s0.live?.batch;
  let s = endCell(s0, outcome);
  // Only one `%runall` waits at a time (Enter while a cell runs queues the prompt, not a cell).
  if (s.stopAll || (batch && outcome.status !== "ok")) {
    if (batch && batch.index < batch.total)
      s = print(s, { kind: "info", tone: "warn", text: `Stopped after cell ${batch.index} of ${batch.total}.` });
    s = { ...s, queue: [] };
  }
  return startNext(s, env, []);
}

/** Ctrl-C: interrupt a running cell; else clear the prompt; on an empty prompt, twice quits. */
export function interrupt(s: ReplState, env: ReplEnv): Update {
  if (s.live) {
    const live = { ...s.live, interrupting: true };
    const notice = s.notice === QUEUED_NOTICE ? undefined : s.notice;
    return { state: { ...s, live, stopAll: true, enterQueued: false, notice }, effects: [{ type: "interrupt" }] };
  }
  if (s.buf.text !== "") return { state: { ...s, buf: ed.emptyEditor, completion: undefined, hist: atDraft, lastCtrlC: 0 }, effects: [] };
  if (env.now - s.lastCtrlC <= QUIT_WINDOW_MS) return quit(s, []);
  return { state: { ...s, lastCtrlC: env.now, notice: "(To exit, press Ctrl-C again or Ctrl-D)" }, effects: [] };
}

export function quit(s: ReplState, effects: Effect[]): Update {
  if (s.exited) return { state: s, effects };
  return { state: { ...s, exited: true }, effects: [...effects, { type: "quit" }] };
}
