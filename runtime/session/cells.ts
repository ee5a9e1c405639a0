/**
 * The cells a session has run, in the order they first ran, and the graph they declare. A cell run
 * again (same Jupyter cell id, or same step name) is updated in place; `%rm` and `%reset` take
 * cells out. Cells are named to the user as the front end shows them: `In [N]`.
 */
import { buildNotebookGraph, type CellDirectives, type NotebookGraph, type NotebookStep } from "../../notebooks/index.js";

export interface SessionCell {
  /**
   * The front end's count of the cell's first run (In [7] -> 7), else its order of first run: the
   * default step name is `cell_N`, and a front end without counts calls it `cell N`.
   */
  readonly number: number;
  id?: string;
  source: string;
  tags: string[];
  /** What the cell is, `%scratch` applied (a scratch-mode cell without directives is a skip cell). */
  directives: CellDirectives;
  /** The front end's execution counts of the cell's runs (Jupyter's In [N]), newest last. */
  counts: number[];
}

export interface CellInput {
  source: string;
  tags: string[];
  directives: CellDirectives;
  cellId?: string;
  executionCount?: number;
}

export class CellRegistry {
  #cells: SessionCell[] = [];
  #next = 1;
  #graph?: NotebookGraph;

  get all(): readonly SessionCell[] {
    return this.#cells;
  }

  /** The graph the cells declare; rebuilt only when a cell changes. */
  graph(): NotebookGraph {
    this.#graph ??= buildNotebookGraph(
      this.#cells.map((c) => ({ source: c.source, tags: c.tags, index: c.number, id: c.id, directives: c.directives })),
    );
    return this.#graph;
  }

  /** Adds the cell, or updates it when it is the same cell run again (same id, or same step name). */
  remember(input: CellInput): { cell: SessionCell; isNew: boolean } {
    const { directives: d } = input;
    const existing =
      (input.cellId !== undefined ? this.#cells.find((c) => c.id === input.cellId) : undefined) ??
      (d.kind === "step" && d.step !== undefined ? this.stepCell(d.step) : undefined) ??
      (d.kind === "magic" && d.magic?.name === "flow"
        ? this.#cells.find((c) => c.directives.kind === "magic" && c.directives.magic?.name === "flow")
        : undefined);
    const counts = input.executionCount !== undefined ? [input.executionCount] : [];
    this.#graph = undefined;
    if (existing) {
      Object.assign(existing, { source: input.source, tags: input.tags, directives: d, counts: [...existing.counts, ...counts] });
      if (input.cellId !== undefined) existing.id = input.cellId;
      return { cell: existing, isNew: false };
    }
    // Numbered as the front end numbers the run (In [7] -> cell_7), else in order of first run.
    const taken = (n: number) => this.#cells.some((c) => c.number === n);
    const number = input.executionCount !== undefined && !taken(input.executionCount) ? input.executionCount : this.#next;
    this.#next = Math.max(this.#next, number + 1);
    const cell: SessionCell = { number, id: input.cellId, source: input.source, tags: input.tags, directives: d, counts };
    this.#cells.push(cell);
    return { cell, isNew: true };
  }

  remove(cell: SessionCell): void {
    this.#cells = this.#cells.filter((c) => c !== cell);
    this.#graph = undefined;
  }

  /** Keeps only the cells `keep` accepts (`%reset` keeps setup and parameters cells). */
  retain(keep: (cell: SessionCell) => boolean): SessionCell[] {
    const dropped = this.#cells.filter((c) => !keep(c));
    this.#cells = this.#cells.filter(keep);
    this.#graph = undefined;
    return dropped;
  }

  stepCell(step: string): SessionCell | undefined {
    const s = this.graph().steps.find((x) => x.name === step);
    if (s) return this.byNumber(s.cell);
    return this.#cells.find((c) => c.directives.kind === "step" && c.directives.step === step);
  }

  byNumber(number: number): SessionCell | undefined {
    return this.#cells.find((c) => c.number === number);
  }

  byId(id: string): SessionCell | undefined {
    return this.#cells.find((c) => c.id === id);
  }

  /**
   * The cell the user means by N: the one whose run was In [N] when the front end counts runs,
   * else the Nth cell run.
   */
  byUserNumber(n: number): SessionCell | undefined {
    if (this.#cells.some((c) => c.counts.length > 0)) {
      return [...this.#cells].reverse().find((c) => c.counts.includes(n));
    }
    return this.byNumber(n);
  }

  stepOf(cell: SessionCell): NotebookStep | undefined {
    return this.graph().steps.find((s) => s.cell === cell.number);
  }

  /** `In [7]` (the cell's newest run) when the front end counts runs, else `cell 3`. */
  label(cell: SessionCell | number): string {
    const c = typeof cell === "number" ? this.byNumber(cell) : cell;
    const count = c?.counts.at(-1);
    return count !== undefined ? `In [${count}]` : `cell ${typeof cell === "number" ? cell : cell.number}`;
  }

  /** `In [7] (step start)`, for messages about a step's cell. */
  describe(cell: SessionCell): string {
    const step = this.stepOf(cell);
    return step ? `${this.label(cell)} (step ${step.name})` : this.label(cell);
  }

  setupCells(): { cell: number; code: string; lineOffset: number }[] {
    return this.#cells
      .filter((c) => c.directives.kind === "setup")
      .map((c) => ({ cell: c.number, code: c.directives.body, lineOffset: c.directives.bodyLine - 1 }));
  }

  parameterNames(): string[] {
    return this.graph().parameters.map((p) => p.name);
  }
}
