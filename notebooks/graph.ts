/**
 * The flow a notebook's cells declare. Pure: the kernel/REPL session rebuilds it after every
 * cell, and convert builds it once. Problems are returned (not thrown), each naming its cell and
 * what to change, so a session can show them while the user is still prototyping.
 *
 * Parents: a step cell's parents are its `prev` steps, else the step cell above (none for the
 * first). A step is a join when it has several parents, or when its one parent runs inside a
 * foreach and has no other child (the cell after a foreach step closes that foreach).
 */
import { RESERVED_STEP_NAMES, STEP_NAME_PATTERN, type StepType } from "../runtime/graph/index.js";
import { parseCell, scratchSetting, underScratch, type CellDirectives } from "./directives.js";
import { DirectiveError } from "./errors.js";
import { parseParametersCell, type ParameterSpec } from "./parameters.js";
import { memoize } from "../runtime/support/index.js";
import { cellToMethodBody } from "./rewrite.js";

export interface NotebookCellInput {
  source: string;
  tags?: readonly string[];
  /** Markdown and raw cells are kept for numbering only. Default "code". */
  cellType?: "code" | "markdown" | "raw";
  /** 1-based number used in messages; default: position in the array + 1. */
  index?: number;
  id?: string;
  /** The cell's directives when the caller has parsed them already (a session has). */
  directives?: CellDirectives;
}

export interface NotebookStep {
  name: string;
  /** 1-based cell number. */
  cell: number;
  parents: string[];
  /** Children in notebook order (like StepNode.next). */
  next: string[];
  /** Set on the parent of a foreach: its children run once per item of this artifact. */
  foreach?: string;
  /** Set on a foreach child: the parent's list artifact it iterates (`self.input` is one item). */
  iterates?: string;
  isJoin: boolean;
  type: StepType;
  doc?: string;
  /** Artifacts the cell assigns (`self.NAME = ...`), sorted. */
  assigns: string[];
  directives: CellDirectives;
}

export interface NotebookCellInfo {
  /** 1-based cell number. */
  index: number;
  id?: string;
  cellType: "code" | "markdown" | "raw";
  /** Undefined for markdown/raw cells and for cells whose directives are invalid. */
  directives?: CellDirectives;
  /** The step this cell declares, if any. */
  step?: string;
}

export interface NotebookGraphError {
  cell: number;
  step?: string;
  /** One line starting with `cell N`, saying what to change. */
  message: string;
}

export interface NotebookGraph {
  /** Step cells in notebook order. */
  steps: NotebookStep[];
  cells: NotebookCellInfo[];
  parameters: ParameterSpec[];
  /** From a `%flow NAME` magic cell. */
  flowName?: string;
  errors: NotebookGraphError[];
}

interface Frame {
  kind: "split" | "foreach";
  /** The step that opened the frame. */
  at: string;
}

const where = (cell: number, step?: string): string => (step === undefined ? `cell ${cell}` : `cell ${cell} (step ${step})`);

function stepType(s: NotebookStep): StepType {
  if (s.name === "end") return "end";
  if (s.name === "start") return "start";
  if (s.isJoin) return "join";
  if (s.foreach !== undefined) return "foreach";
  if (s.next.length > 1) return "split";
  return "linear";
}

/** Sessions rebuild the graph after every cell; unchanged cells are not parsed again. */
const assignsOf = memoize((code: string): readonly string[] => cellToMethodBody(code).assigns, 1000);

export function buildNotebookGraph(cells: readonly NotebookCellInput[]): NotebookGraph {
  const errors: NotebookGraphError[] = [];
  const infos: NotebookCellInfo[] = [];
  const steps: NotebookStep[] = [];
  const byName = new Map<string, NotebookStep>();
  const parameters: ParameterSpec[] = [];
  let flowName: string | undefined;
  // `%scratch on` makes the cells after it that declare no step scratch, until `%scratch off`.
  let scratch = false;
  const fail = (cell: number, step: string | undefined, msg: string): void => {
    errors.push({ cell, ...(step !== undefined ? { step } : {}), message: `${where(cell, step)}: ${msg}` });
  };

  // 1. Read every cell.
  cells.forEach((c, i) => {
    const index = c.index ?? i + 1;
    const cellType = c.cellType ?? "code";
    const info: NotebookCellInfo = { index, cellType, ...(c.id !== undefined ? { id: c.id } : {}) };
    infos.push(info);
    if (cellType !== "code") return;
    let d: CellDirectives;
    try {
      d = c.directives ?? parseCell(c.source, c.tags);
      scratch = scratchSetting(d) ?? scratch;
      d = underScratch(d, scratch);
    } catch (e) {
      if (!(e instanceof DirectiveError)) throw e;
      fail(index, undefined, (e.line !== undefined ? `line ${e.line}: ` : "") + e.message);
      return;
    }
    info.directives = d;
    if (d.kind === "magic" && d.magic?.name === "flow") {
      if (/^[A-Za-z_$][\w$]*$/.test(d.magic.args)) flowName = d.magic.args;
      else fail(index, undefined, `%flow needs a class name, e.g. %flow WordScoresFlow (got "${d.magic.args}")`);
    }
    if (d.kind === "parameters") {
      try {
        for (const p of parseParametersCell(d.body)) {
          if (parameters.some((q) => q.name === p.name))
            fail(index, undefined, `parameter ${p.name} is already defined in another parameters cell`);
          else parameters.push(p);
        }
      } catch (e) {
        if (!(e instanceof DirectiveError)) throw e;
        fail(
          index,
          undefined,
          e.message.replace(/^parameters cell, line (\d+)/, (_, l: string) => `line ${Number(l) + d.bodyLine - 1}`),
        );
      }
    }
    if (d.kind !== "step") return;
    const name = d.step ?? `cell_${index}`;
    const other = byName.get(name);
    if (other) {
      fail(index, name, `step name "${name}" is already used by cell ${other.cell}: rename one of them (//% step NEW_NAME)`);
      return;
    }
    if (RESERVED_STEP_NAMES.includes(name)) {
      fail(index, name, `step name "${name}" is reserved (${RESERVED_STEP_NAMES.join(", ")} belong to the flow object): rename the step`);
    } else if (!STEP_NAME_PATTERN.test(name)) {
      fail(index, name, `step name "${name}" must be lowercase letters, digits and underscores, starting with a letter (e.g. train_model)`);
    }
    const assigns = [...assignsOf(d.code)];
    const step: NotebookStep = {
      name,
      cell: index,
      parents: [],
      next: [],
      isJoin: false,
      type: "linear",
      assigns,
      directives: d,
      ...(d.doc !== undefined ? { doc: d.doc } : {}),
      ...(d.foreach !== undefined ? { iterates: d.foreach } : {}),
    };
    info.step = name;
    steps.push(step);
    byName.set(name, step);
  });

  // 2. Parents: `prev`, else the step cell above.
  steps.forEach((s, i) => {
    const prev = s.directives.prev;
    if (prev === undefined) {
      const above = steps[i - 1];
      s.parents = above ? [above.name] : [];
      return;
    }
    for (const p of prev) {
      if (p === s.name) fail(s.cell, s.name, `//% prev ${p} names the step itself: name the step(s) it follows`);
      else if (!byName.has(p)) {
        const known = steps.map((t) => t.name).filter((n) => n !== s.name);
        fail(
          s.cell,
          s.name,
          `//% prev ${p} names no step (steps: ${known.join(", ") || "none"}): fix the name or name that cell with //% step ${p}`,
        );
      } else s.parents.push(p);
    }
  });
  for (const s of steps) for (const p of s.parents) byName.get(p)!.next.push(s.name);

  // 3. Order parents before children; whatever cannot be ordered is a cycle.
  const order: NotebookStep[] = [];
  const pending = new Map(steps.map((s) => [s.name, s.parents.length]));
  const ready = steps.filter((s) => s.parents.length === 0);
  while (ready.length > 0) {
    const s = ready.shift()!;
    order.push(s);
    for (const c of s.next) {
      const left = pending.get(c)! - 1;
      pending.set(c, left);
      if (left === 0) ready.push(byName.get(c)!);
    }
  }
  const ordered = new Set(order);
  const cyclic = steps.filter((s) => !ordered.has(s));
  if (cyclic.length > 0) {
    const first = cyclic[0]!;
    fail(
      first.cell,
      first.name,
      `cells ${cyclic.map((s) => s.cell).join(", ")} (steps ${cyclic.map((s) => s.name).join(", ")}) form a cycle through their //% prev directives: a step can only follow steps that do not depend on it`,
    );
  }

  // 4. Foreach targets.
  const paramNames = new Set(parameters.map((p) => p.name));
  const ancestors = (s: NotebookStep, seen = new Set<string>()): Set<string> => {
    for (const p of s.parents) {
      if (seen.has(p)) continue;
      seen.add(p);
      ancestors(byName.get(p)!, seen);
    }
    return seen;
  };
  for (const s of steps) {
    if (s.iterates === undefined) continue;
    if (s.parents.length !== 1) {
      fail(
        s.cell,
        s.name,
        s.parents.length === 0
          ? `foreach ${s.iterates} needs a parent step that assigns self.${s.iterates}: put the cell after it or add //% prev PARENT`
          : `a foreach step has one parent, but it has ${s.parents.length} (${s.parents.join(", ")}): join them in a step first`,
      );
      continue;
    }
    const parent = byName.get(s.parents[0]!)!;
    if (parent.next.length > 1) {
      const others = parent.next.filter((n) => n !== s.name).map((n) => `cell ${byName.get(n)!.cell}`);
      fail(
        s.cell,
        s.name,
        `a foreach must be the only step after ${parent.name}, but ${others.join(", ")} also follow it: give them a different //% prev`,
      );
    }
    parent.foreach = s.iterates;
    if (cyclic.includes(s)) continue;
    const upstream = [parent, ...[...ancestors(parent)].map((n) => byName.get(n)!)];
    if (!paramNames.has(s.iterates) && !upstream.some((u) => u.assigns.includes(s.iterates!))) {
      fail(
        s.cell,
        s.name,
        `foreach ${s.iterates} iterates an artifact no cell above assigns: assign self.${s.iterates} = [...] in ${parent.name} (cell ${parent.cell}) or an earlier step, or fix the name`,
      );
    }
  }

  // 5. Joins, checked with the stack of open splits each step runs in.
  const stacks = new Map<string, Frame[]>();
  for (const s of order) {
    const ps = s.parents.map((p) => byName.get(p)!);
    const only = ps.length === 1 ? ps[0]! : undefined;
    const top = (t: NotebookStep): Frame | undefined => stacks.get(t.name)?.at(-1);
    if (ps.length === 0) {
      stacks.set(s.name, []);
    } else if (ps.length > 1) {
      s.isJoin = true;
      const tops = ps.map((p) => top(p));
      const first = tops[0];
      if (tops.some((t) => t === undefined)) {
        const loose = ps.filter((p) => top(p) === undefined).map((p) => p.name);
        fail(
          s.cell,
          s.name,
          `joins ${ps.map((p) => p.name).join(", ")}, but ${loose.join(", ")} ${loose.length > 1 ? "are" : "is"} not a branch of a split: list in //% prev the branches of one split`,
        );
        stacks.set(s.name, []);
      } else if (tops.some((t) => t!.at !== first!.at || t!.kind !== first!.kind)) {
        const from = ps.map((p) => `${p.name} from ${top(p)!.at}`).join(", ");
        fail(
          s.cell,
          s.name,
          `joins branches of different splits (${from}): a join takes the branches of one split; join the inner split first`,
        );
        stacks.set(s.name, (stacks.get(ps[0]!.name) ?? []).slice(0, -1));
      } else {
        stacks.set(s.name, stacks.get(ps[0]!.name)!.slice(0, -1));
      }
    } else if (only && s.iterates !== undefined) {
      stacks.set(s.name, [...stacks.get(only.name)!, { kind: "foreach", at: only.name }]);
    } else if (only && only.next.length > 1) {
      stacks.set(s.name, [...stacks.get(only.name)!, { kind: "split", at: only.name }]);
    } else if (only && top(only)?.kind === "foreach") {
      s.isJoin = true; // the cell after a foreach step closes the foreach
      stacks.set(s.name, stacks.get(only.name)!.slice(0, -1));
    } else if (only) {
      stacks.set(s.name, stacks.get(only.name)!);
    }
  }

  for (const s of steps) s.type = stepType(s);
  return { steps, cells: infos, parameters, ...(flowName !== undefined ? { flowName } : {}), errors };
}
