/**
 * The `%explore` browser as a value: a stack of frames (where the user is, what is selected), and
 * the commands that move through it. Pure given what each level shows (explorer-content.ts).
 */
import type { ExplorerArtifact } from "./explorer-source.js";

/** Where the browser is: each level names everything above it. */
export type Level =
  | { kind: "flows" }
  | { kind: "runs"; flow: string }
  | { kind: "steps"; flow: string; run: string }
  | { kind: "tasks"; flow: string; run: string; step: string }
  | { kind: "task"; flow: string; run: string; step: string; task: string }
  | { kind: "artifact"; flow: string; run: string; step: string; task: string; artifact: ExplorerArtifact }
  | { kind: "log"; flow: string; run: string; step: string; task: string; stream: "stdout" | "stderr" };

export interface Frame {
  level: Level;
  /** The selected row of a list, or the first line shown of a detail view. */
  selected: number;
}

/** What a level shows: rows to choose from, or the lines of a detail view. */
export interface Content {
  rows?: Row[];
  lines?: string[];
  error?: string;
}

export interface Row {
  label: string;
  open?: () => Level | undefined;
}

export type ExplorerCommand =
  | { type: "move"; rows: number } // ±Infinity: first / last
  | { type: "page"; pages: number }
  | { type: "open" }
  | { type: "back" }
  | { type: "card" } // the Explorer writes the card of cardTask(); the stack stays
  | { type: "leave" };

export interface ExplorerView {
  content(level: Level): Content;
  /** Rows (or lines) one screen shows. */
  listHeight: number;
}

/** The browser at the start: the flows, or a flow's runs (`%explore FLOW`) with Back to the flows. */
export function initialStack(flows: () => string[], flow?: string): Frame[] {
  const root: Frame = { level: { kind: "flows" }, selected: 0 };
  if (!flow) return [root];
  let index = -1;
  try {
    index = flows().indexOf(flow);
  } catch {
    // an unreadable store shows its error in the flows view
  }
  return [
    { ...root, selected: Math.max(0, index) },
    { level: { kind: "runs", flow }, selected: 0 },
  ];
}

export function top(stack: readonly Frame[]): Frame {
  return stack[stack.length - 1] ?? { level: { kind: "flows" }, selected: 0 };
}

function moved(stack: readonly Frame[], delta: number, view: ExplorerView): readonly Frame[] {
  const f = top(stack);
  const c = view.content(f.level);
  const max = c.lines ? Math.max(0, c.lines.length - view.listHeight) : Math.max(0, (c.rows?.length ?? 0) - 1);
  const selected = Math.max(0, Math.min(max, f.selected + delta));
  return selected === f.selected ? stack : [...stack.slice(0, -1), { ...f, selected }];
}

/** The stack after a command ("leave" is the caller's: it closes the browser). */
export function navigate(stack: readonly Frame[], cmd: ExplorerCommand, view: ExplorerView): readonly Frame[] {
  switch (cmd.type) {
    case "move":
      return moved(stack, cmd.rows, view);
    case "page":
      return moved(stack, cmd.pages * view.listHeight, view);
    case "open": {
      const f = top(stack);
      const next = view.content(f.level).rows?.[f.selected]?.open?.();
      return next ? [...stack, { level: next, selected: 0 }] : stack;
    }
    case "back":
      return stack.length > 1 ? stack.slice(0, -1) : stack;
    case "card":
    case "leave":
      return stack;
  }
}

export interface TaskAddress {
  flow: string;
  run: string;
  step: string;
  task: string;
}

/** The task whose card `o` opens: the one shown (or one of its artifacts or logs), or the one selected in a step's list. */
export function cardTask(stack: readonly Frame[], taskIds: (flow: string, run: string, step: string) => string[]): TaskAddress | undefined {
  const { level, selected } = top(stack);
  if (level.kind === "tasks") {
    const task = taskIds(level.flow, level.run, level.step)[selected];
    return task === undefined ? undefined : { flow: level.flow, run: level.run, step: level.step, task };
  }
  if ("task" in level) return { flow: level.flow, run: level.run, step: level.step, task: level.task };
  return undefined;
}
