/** Errors a notebook session reports about cells (task errors are the executor's and the sandbox's). */
import { SteplabError } from "../../errors/index.js";

/** The cell cannot be a step as written (a graph problem, an import in a step cell): it is not added. */
export class NotebookGraphProblem extends SteplabError {
  constructor(message: string, code = "NOTEBOOK_GRAPH") {
    super(code, message);
  }
}

/** An import in a step cell: `%export` and `convert` would refuse it, so the cell says so when it runs. */
export class ImportInStepCellError extends NotebookGraphProblem {
  constructor(where: string, line: number, statement: string) {
    super(
      `${where}, line ${line}: imports belong in a setup cell (//% setup), which is module scope in the flow file: ` +
        `move \`${statement}\` to a setup cell, run it, then run this cell again`,
      "CELL_IMPORT",
    );
    this.name = "ImportInStepCellError";
  }
}

/** A step cell whose parent step has no successful task: it does not run. */
export class ParentNotReadyError extends SteplabError {
  constructor(message: string) {
    super("PARENT_NOT_READY", message);
    this.name = "ParentNotReadyError";
  }
}

export interface LocalOwner {
  /** `In [3]`, or `cell 3` in a front end that does not count runs. */
  label: string;
  step?: string;
  /** The local's initializer when it comes from the client API (`Flow("X").latestRun!`). */
  clientExpression?: string;
}

export class LocalOfAnotherCellError extends SteplabError {
  constructor(name: string, owner: LocalOwner) {
    const where = `${owner.label}${owner.step ? ` (step ${owner.step})` : ""}`;
    const fix = owner.clientExpression
      ? `It comes from the client API, which every cell can call: write it here too, ` +
        `const ${name} = ${owner.clientExpression}; (a client object is not an artifact: to pass which run or task, ` +
        `assign its pathspec there, self.${name}_pathspec = ${name}.pathspec, and read Run(self.${name}_pathspec) here).`
      : `Assign it there as self.${name} = ${name}; then read self.${name} here.`;
    super("CELL_LOCAL", `'${name}' is a local variable of ${where}: cells share only artifacts. ${fix}`);
    this.name = "NameError";
  }
}
