/**
 * Notebook <-> flow file conversion (`steplab convert`, `%export`).
 *
 * Conventions (README cites this list):
 * - The flow class is named by a `%flow NAME` cell, else after the notebook file in PascalCase
 *   plus "Flow" (word_scores.ipynb -> WordScoresFlow). flowToNotebook writes a `%flow NAME` cell
 *   first so converting back keeps the name whatever the file is called.
 * - Setup cells become module scope, in order; their `steplab` imports merge into the header.
 *   Back: module scope (minus the names only a flow file needs) is one `//% setup` cell.
 * - Parameters cells become `name = Parameter("name", { help?, default, type })` fields (the help
 *   is the line's doc comment; `@name CLI_NAME`, `@type T` and `@required` doc tags cover fields
 *   whose command-line name, type or requiredness is not the default). Bare references to a
 *   parameter in a step cell become `this.name`.
 * - Each step cell becomes `@step name() { ... }` (a join takes `inputs: Inputs<Flow>`; a cell
 *   awaiting at top level makes the method async): `self` becomes `this`, the leading doc comment
 *   is the method's JSDoc, and `this.next(...)` is appended from the notebook graph. A trailing
 *   expression with no effect (the value a notebook displays, like `self.best`) is dropped; any
 *   other trailing expression stays as a statement. Back: `this` -> `self`, `this.next` removed,
 *   and `//% step NAME [foreach X]` plus `//% prev ...` (only when the parent is not the cell
 *   above) as the first lines, repeated as cell tags.
 * - Every artifact a cell assigns is declared as `declare NAME: any;` (sorted); notebooks do not
 *   declare artifacts, so the declared types of a flow file do not survive a round trip.
 * - Markdown cells become `// %% [markdown]` comment blocks and skip cells `// %% [skip]` blocks,
 *   inside the class before the next step; flowToNotebook turns these blocks back into cells.
 *   Magic cells other than `%flow` are dropped.
 * - A notebook without `start` or `end` gets an empty one. The flow must then pass the graph
 *   lint; each problem is reported with the cell it comes from.
 * - Step options travel both ways: `//% step NAME isolation=process memoryMb=2048` is
 *   `@step({ isolation: "process", memoryMb: 2048 })`.
 * - The helpers a cell has in scope and uses (`display`, `Flow`, `Run`, ...) are imported from
 *   "steplab" in the flow file; `runFlow()` and `prompt()`, which need a notebook's front end, are
 *   problems naming the cell (move them to a skip cell).
 * - `%scratch on` makes the following cells that declare no step scratch (skip) cells, until
 *   `%scratch off`.
 * - Not expressible in a notebook (flowToNotebook says so): a linear step inside a foreach (the
 *   cell after a foreach step is its join). Lost: IncludeFile fields, class members other than
 *   steps and parameters (kept as comments in the setup cell).
 */
export { flowNameFromFile, notebookToFlow, type NotebookToFlowOptions } from "./to-flow.js";
export { flowToNotebook } from "./to-notebook.js";
