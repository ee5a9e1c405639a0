/** What the language service needs to know about a cell's surroundings, and what it answers. */

export interface CellContext {
  /** Every setup cell, concatenated (module scope: imports, functions, types). */
  setupCode: string;
  /** Artifacts visible on `self`: name -> TS type text (see typeOfValue). */
  artifactTypes: Record<string, string>;
  /** Flow parameters: name -> TS type text; bare `const`s and readonly on `self`. */
  parameters: Record<string, string>;
  /** A join cell sees `inputs`. */
  isJoin: boolean;
  /** The parent steps of a join: `inputs.NAME` is typed for each. */
  joinInputNames?: string[];
  /** A foreach body: `self.input` (typed by artifactTypes.input when given) and `self.index`. */
  isForeach?: boolean;
  /** Overrides the kind read from the cell's `//% setup` / `//% parameters` / `//% skip` directives. */
  kind?: "step" | "setup" | "parameters" | "skip";
}

/** A Jupyter type hint for one match (JupyterLab shows it as an icon). */
export interface CompletionTypeHint {
  start: number;
  end: number;
  text: string;
  type: string;
}

export interface CellCompletion {
  matches: string[];
  /** UTF-16 offsets into the cell: matches replace code.slice(cursorStart, cursorEnd). */
  cursorStart: number;
  cursorEnd: number;
  metadata?: { _jupyter_types_experimental?: CompletionTypeHint[] };
}

export interface CellInspection {
  found: boolean;
  /** Quick info: the signature, then its documentation (and at detail 1 its source). */
  text: string;
}

export interface CellCompleteness {
  status: "complete" | "incomplete" | "invalid";
  /** With "incomplete": the indentation the next line should start with. */
  indent?: string;
}
