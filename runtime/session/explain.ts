/**
 * What a front end shows for an error: the translation of a cell's task error into the user's terms — frames of the user's own
 * cells only, named as the front end names them (`In [N], line L`), advice written in the cell's
 * form (`//% step NAME memoryMb=N`, not `@step({ memoryMb: N })`), and the cell that owns a local
 * another cell tried to read. The one converter from anything thrown to a `CellError` lives in
 * errors/, so the kernel can answer before it loads the session.
 */
import type { CellModule } from "./cell-module.js";
import { LocalOfAnotherCellError, type LocalOwner } from "./errors.js";

export interface CellContext {
  module: CellModule;
  /** The failing cell's number. */
  cell: number;
  /** The step the cell runs as; undefined for setup and scratch cells. */
  step?: string;
  /** `In [N]` (or `cell N`) for a cell number. */
  label(cell: number): string;
  /** The cell that declares a local, other than this one. */
  ownerOf(name: string): LocalOwner | undefined;
  /** Every cell's memory limit (STEPLAB_CELL_MEMORY_MB). */
  memoryMb: number;
}

const FRAME = /^\s+at /;
const CELL_POSITION = /(?:[^\s()]*\/)?cell\.ts:(\d+):(\d+)/g;

/** Maps a task's error to the user's cells. */
export function explainCellError(err: Error, ctx: CellContext): Error {
  const missing = /^(\w+) is not defined$/.exec(err.message);
  if (err.name === "ReferenceError" && missing) {
    const owner = ctx.ownerOf(missing[1]!);
    if (owner) return new LocalOfAnotherCellError(missing[1]!, owner);
  }
  const advice = inCellForm(err.message, ctx);
  if (advice !== err.message) {
    if (err.stack?.startsWith(`${err.name}: ${err.message}`))
      err.stack = `${err.name}: ${advice}${err.stack.slice(err.name.length + 2 + err.message.length)}`;
    err.message = advice;
  }
  if (err.stack) err.stack = userStack(err.stack, ctx);
  return err;
}

/** The message, then only frames in the user's cells or files. */
function userStack(stack: string, ctx: CellContext): string {
  const lines = stack.split("\n");
  const first = lines.findIndex((l) => FRAME.test(l));
  const head = first < 0 ? lines : lines.slice(0, first);
  const frames = first < 0 ? [] : lines.slice(first);
  const kept: string[] = [];
  for (const frame of frames) {
    let inCell = false;
    const mapped = frame.replace(CELL_POSITION, (whole, line: string) => {
      const origin = ctx.module.origin(Number(line));
      if (!origin) return whole;
      inCell = true;
      return `${origin.setup ? "setup cell " : ""}${ctx.label(origin.cell)}, line ${origin.line}`;
    });
    if (inCell) kept.push(mapped.replace(/^(\s+at )(?:async )?__cell \((.*)\)$/, "$1$2"));
    else if (isUserFile(frame)) kept.push(frame);
  }
  return [...head, ...kept].join("\n");
}

/** A frame in a file of the user's project (a module a setup cell imports), not the runtime's. */
function isUserFile(frame: string): boolean {
  const at = /\(([^()]+):\d+:\d+\)$/.exec(frame)?.[1] ?? /^\s+at (?:async )?([^\s()]+):\d+:\d+$/.exec(frame)?.[1];
  if (!at) return false;
  return !(
    at.startsWith("steplab:") ||
    at.startsWith("node:") ||
    at.startsWith("<") ||
    at.includes("node_modules") ||
    /\.bundle\.m?js$/.test(at) ||
    at.includes("/runtime/") ||
    at === "native"
  );
}

/**
 * Advice that names `@step({ ... })` means the cell's step line in a notebook:
 * `@step({ memoryMb: N })` -> `//% step NAME memoryMb=N`. Setup and scratch cells have no step
 * line: their memory is STEPLAB_CELL_MEMORY_MB, and process isolation is for step cells.
 */
function inCellForm(message: string, ctx: CellContext): string {
  const advice = /@step\(\{\s*([^}]*?)\s*\}\)/g;
  if (!advice.test(message)) return message;
  return message.replace(advice, (_whole, inner: string) => {
    const options = inner
      .split(",")
      .map((part) => part.split(":").map((x) => x.trim().replace(/^["']|["']$/g, "")))
      .filter(([key]) => key)
      .map(([key, value]) => `${key}=${value}`);
    if (ctx.step !== undefined) {
      const form = `//% step ${ctx.step} ${options.join(" ")}`;
      return options.some((o) => o.startsWith("memoryMb="))
        ? `${form} on the cell's first line (every cell's default is STEPLAB_CELL_MEMORY_MB, now ${ctx.memoryMb} MB)`
        : `${form} on the cell's first line`;
    }
    return options.some((o) => o.startsWith("memoryMb="))
      ? `STEPLAB_CELL_MEMORY_MB=N in the environment the kernel starts in (now ${ctx.memoryMb} MB)`
      : `a step cell that starts with //% step NAME ${options.join(" ")}`;
  });
}
