import { SteplabError } from "../errors/index.js";

/** A file that is not a readable Jupyter notebook (not JSON, wrong nbformat, no cells). */
export class NotebookError extends SteplabError {
  constructor(message: string) {
    super("NOTEBOOK", message);
  }
}

/** A `//% ...` directive, a cell tag or a parameters cell that cannot be read. */
export class DirectiveError extends SteplabError {
  constructor(
    message: string,
    /** 1-based line in the cell, when known. */
    readonly line?: number,
  ) {
    super("DIRECTIVE", message);
  }
}

/** One thing that stops a conversion, tied to a notebook cell when there is one. */
export interface ConvertProblem {
  /** 1-based index of the cell in the notebook. */
  cell?: number;
  step?: string;
  /** One line, already naming the cell: `cell 3 (step analyze): ...`. */
  message: string;
}

/** `steplab convert` (or `%export`) could not produce a valid flow or notebook. */
export class ConvertError extends SteplabError {
  constructor(readonly problems: ConvertProblem[]) {
    super("CONVERT", problems.map((p) => p.message).join("\n"));
  }
}
