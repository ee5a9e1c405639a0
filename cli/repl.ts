/**
 * `steplab repl [NOTEBOOK.ipynb]`: the Ink terminal REPL over a notebook session.
 * Opening a notebook lists its cells and runs nothing; `%run N` / `%runall` run them.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import React from "react";
import { render } from "ink";
import type { NotebookSession } from "../runtime/session/index.js";
import { openStore, resolveStoreRoot, type Store } from "../store/index.js";
import { clientExplorerSource, loadNotebook, ReplApp, withChartFiles, type NotebookCell } from "../repl/index.js";
import { SteplabError, UsageError } from "../errors/index.js";
import type { CliIO } from "./io.js";
import { storeReader } from "../store/index.js";

export interface ReplSessionOptions {
  storeRoot?: string;
  notebookPath?: string;
  flowName?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** History entries the session writes are tagged with this. */
  historySession?: string;
}

export type ReplSessionFactory = (opts: ReplSessionOptions) => Promise<NotebookSession>;

/** The CLI's io, plus what a test or an embedder may swap. */
export interface ReplCommandIo extends Pick<CliIO, "stdout" | "stderr"> {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The terminal Ink draws on and reads keys from (default: process.stdin/stdout). */
  stdin?: NodeJS.ReadStream;
  terminal?: NodeJS.WriteStream;
  /** Overrides the real notebook session (tests, embedding). */
  createSession?: ReplSessionFactory;
}

const USAGE = `Usage: steplab repl [NOTEBOOK.ipynb]
  An interactive notebook in the terminal: each cell is a step (see //% step NAME).
  Enter runs a complete cell (else adds a line), Alt-Enter or Ctrl-J adds a line, Tab completes,
  Up/Down and Ctrl-R search history, Ctrl-C interrupts a running cell, Ctrl-D quits.
  REPL magics: %save [FILE.ipynb], %run N, %runall, %cells, %explore [FLOW] (o there opens a task's card).
  Charts (display.chart, display.vegaLite) are saved as SVG files; their path is printed.
  With NOTEBOOK.ipynb its cells are listed (not run) and %save writes back to it.
  Environment: STEPLAB_DATASTORE selects the datastore (default: nearest .steplab/).
`;

async function defaultSessionFactory(opts: ReplSessionOptions): Promise<NotebookSession> {
  const { createSession } = await import("../runtime/session/index.js");
  return (createSession as ReplSessionFactory)(opts);
}

function flowNameOf(cells: NotebookCell[] | undefined): { flowName?: string } {
  const magic = cells?.map((c) => /^\s*%flow\s+([A-Za-z_$][\w$]*)\s*$/.exec(c.source)).find(Boolean);
  return magic ? { flowName: magic[1] } : {};
}

function parseArgs(args: string[]): { notebook?: string; help: boolean } {
  let notebook: string | undefined;
  let help = false;
  for (const a of args) {
    if (a === "--help" || a === "-h" || a === "help") help = true;
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a} for repl\n${USAGE}`);
    else if (notebook !== undefined) throw new UsageError(`repl takes one notebook, got ${notebook} and ${a}\n${USAGE}`);
    else notebook = a;
  }
  return { ...(notebook !== undefined ? { notebook } : {}), help };
}

export async function replCommand(args: string[], io: ReplCommandIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(args);
  } catch (e) {
    io.stderr(`${(e as Error).message}\n`);
    return 2;
  }
  if (parsed.help) {
    io.stdout(USAGE);
    return 0;
  }
  const cwd = io.cwd ?? process.cwd();
  const env = io.env ?? process.env;
  const notebookPath = parsed.notebook !== undefined ? resolve(cwd, parsed.notebook) : undefined;
  let initialCells: NotebookCell[] | undefined;
  let store: Store | undefined;
  let session: NotebookSession | undefined;
  try {
    if (notebookPath !== undefined && existsSync(notebookPath)) initialCells = loadNotebook(notebookPath);
    const storeRoot = resolveStoreRoot(cwd, env);
    store = openStore(storeRoot);
    const opened = await (io.createSession ?? defaultSessionFactory)({
      storeRoot,
      cwd,
      env,
      historySession: "repl",
      ...(notebookPath !== undefined ? { notebookPath } : {}),
      // The notebook's own `%flow NAME` names the flow from the start, before that cell runs.
      ...flowNameOf(initialCells),
    });
    // A terminal cannot draw charts: each is saved as an SVG file, named in its one-line summary.
    session = withChartFiles(opened);
  } catch (e) {
    io.stderr(`steplab repl: ${e instanceof Error ? e.message : String(e)}\n`);
    await session?.close().catch(() => undefined);
    await store?.close().catch(() => undefined);
    return e instanceof UsageError ? 2 : 1;
  }

  const stdin = io.stdin ?? process.stdin;
  const terminal = io.terminal ?? process.stdout;
  if (!stdin.isTTY) {
    io.stderr("steplab repl needs an interactive terminal (stdin is not a TTY).\n");
    await session.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    return 1;
  }
  const explorer = clientExplorerSource(storeReader(store));
  // Bracketed paste: the terminal marks pastes so a pasted cell is one edit, not a run per line.
  terminal.write("\x1b[?2004h");
  const app = render(
    React.createElement(ReplApp, {
      session,
      explorer,
      cwd,
      ...(initialCells ? { initialCells } : {}),
      ...(notebookPath !== undefined ? { notebookPath } : {}),
    }),
    { stdin, stdout: terminal, exitOnCtrlC: false, patchConsole: true },
  );
  let code = 0;
  try {
    await app.waitUntilExit();
  } catch (e) {
    io.stderr(`steplab repl: ${e instanceof SteplabError || e instanceof Error ? e.message : String(e)}\n`);
    code = 1;
  } finally {
    terminal.write("\x1b[?2004l");
    await session.close().catch(() => undefined);
    await store.close().catch(() => undefined);
  }
  return code;
}
