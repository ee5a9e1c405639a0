/**
 * Helpers every notebook cell has: display(), runFlow(), prompt(). They reach the front end
 * through the host; in a flow file's step, display() is kept with the task (its card shows it)
 * and leaves a readable line in the task's log.
 */
import { Run } from "../../client/index.js";
// Types only: the guest is bundled into isolates, where runtime/display (Node, vega) cannot go.
import type { ChartOptions } from "../../display/index.js";
import { currentHost } from "./host-bridge.js";

export interface DisplayOptions {
  displayId?: string;
  update?: boolean;
}

function show(kind: string, data: unknown, options: DisplayOptions = {}): void {
  const host = currentHost();
  if (host.display) host.display(kind, data, options);
  else host.log("stdout", [data]);
}

export const display = Object.assign((value: unknown, options?: DisplayOptions) => show("auto", value, options), {
  html: (html: string, options?: DisplayOptions) => show("html", html, options),
  markdown: (text: string, options?: DisplayOptions) => show("markdown", text, options),
  json: (value: unknown, options?: DisplayOptions) => show("json", value, options),
  png: (data: Uint8Array | string, options?: DisplayOptions) => show("png", data, options),
  svg: (svg: string, options?: DisplayOptions) => show("svg", svg, options),
  table: (rows: readonly Record<string, unknown>[], options?: DisplayOptions) => show("table", rows, options),
  /** A Vega-Lite spec: interactive in JupyterLab, an SVG drawn on the host everywhere else. */
  vegaLite: (spec: Record<string, unknown>, options?: DisplayOptions) => show("vegalite", spec, options),
  /** A line, bar or scatter chart of an array of rows: display.chart(rows, { x: "k", y: "accuracy" }). */
  chart: (rows: readonly Record<string, unknown>[], chart: ChartOptions, options?: DisplayOptions) =>
    show("chart", { rows, options: chart }, options),
  text: (text: string, options?: DisplayOptions) => show("text", text, options),
  jpeg: (data: Uint8Array | string, options?: DisplayOptions) => show("jpeg", data, options),
  gif: (data: Uint8Array | string, options?: DisplayOptions) => show("gif", data, options),
  latex: (text: string, options?: DisplayOptions) => show("latex", text, options),
  /** Any MIME type: display.raw("text/csv", "a,b\n1,2"). */
  raw: (mime: string, data: string | Uint8Array, options?: DisplayOptions) => show("raw", { mime, value: data }, options),
});

/** Runs a flow file from a cell and returns its Run (progress shows in the front end). */
export async function runFlow(file: string, params: Record<string, unknown> = {}): Promise<InstanceType<typeof Run>> {
  const host = currentHost();
  if (!host.runFlow) throw new Error("runFlow() is available in notebook cells");
  const pathspec = await host.runFlow(file, params);
  return Run(pathspec);
}

/** Asks the front end for a line of input (Jupyter's stdin channel, the REPL's prompt). */
export async function prompt(text = "", options: { password?: boolean } = {}): Promise<string> {
  const host = currentHost();
  if (!host.prompt) throw new Error("prompt() needs a front end that can ask for input");
  return host.prompt(text, Boolean(options.password));
}
