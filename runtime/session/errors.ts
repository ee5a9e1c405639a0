import { SteplabError } from "../../errors/index.js";
import type { CellError } from "./types.js";

export class NotebookGraphProblem extends SteplabError {
  constructor(message: string) {
    super("NOTEBOOK_GRAPH", message);
  }
}

export class LocalOfAnotherCellError extends SteplabError {
  constructor(name: string, cell: number, step: string | undefined) {
    super(
      "CELL_LOCAL",
      `'${name}' is a local variable of cell ${cell}${step ? ` (step ${step})` : ""}: cells share only artifacts. ` +
        `Assign it there as self.${name} = ${name}; then read self.${name} here.`,
    );
    this.name = "NameError";
  }
}

export function cellError(err: unknown): CellError {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  // steplab's own errors explain themselves; their host stack would only show our internals.
  const own = e instanceof SteplabError;
  const stack = !own && e.stack && e.stack.startsWith(`${e.name}: `) ? e.stack : `${e.name}: ${e.message}`;
  return {
    ename: e.name,
    evalue: e.message,
    traceback: stack.split("\n"),
    code: typeof code === "string" ? code : undefined,
  };
}
