/**
 * Charts in the terminal: a chart's SVG is saved as a file and the REPL prints its one-line
 * summary with the file's path (open it in a browser or an image viewer).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { CellSink, ExecuteOptions, MimeBundle, NotebookSession } from "../runtime/session/index.js";

const VEGALITE = "application/vnd.vegalite.v5+json";

export function chartsDir(): string {
  return path.join(os.tmpdir(), "steplab-charts");
}

/** The session, with each chart it displays saved as an SVG file (`dir`) and named in its text. */
export function withChartFiles(session: NotebookSession, dir: string = chartsDir()): NotebookSession {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  let saved = 0;
  const save = (bundle: MimeBundle): MimeBundle => {
    const svg = bundle["image/svg+xml"];
    if (bundle[VEGALITE] === undefined || typeof svg !== "string") return bundle;
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `chart-${stamp}-${++saved}.svg`);
    writeFileSync(file, svg);
    // The picture is in the file: the terminal shows the summary and where it is.
    const { "image/svg+xml": _picture, "text/markdown": _image, ...rest } = bundle;
    return { ...rest, "text/plain": `${bundle["text/plain"]} → ${file}` };
  };
  const sinkOf = (sink: CellSink): CellSink => ({
    stdout: (t) => sink.stdout(t),
    stderr: (t) => sink.stderr(t),
    display: (data, opts) => sink.display(save(data), opts),
    clearOutput: (wait) => sink.clearOutput(wait),
    ...(sink.progress ? { progress: (p) => sink.progress!(p) } : {}),
    ...(sink.input ? { input: (prompt, password) => sink.input!(prompt, password) } : {}),
  });
  return {
    get state() {
      return session.state;
    },
    async execute(code: string, opts: ExecuteOptions) {
      const outcome = await session.execute(code, { ...opts, sink: sinkOf(opts.sink) });
      return outcome.result ? { ...outcome, result: save(outcome.result) } : outcome;
    },
    interrupt: () => session.interrupt(),
    complete: (code, cursor) => session.complete(code, cursor),
    inspect: (code, cursor, detail) => session.inspect(code, cursor, detail),
    isComplete: (code) => session.isComplete(code),
    cells: () => session.cells(),
    get history() {
      return session.history;
    },
    close: () => session.close(),
  };
}
