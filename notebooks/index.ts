/** notebooks/: the .ipynb model, cell directives, the graph cells declare, and convert. */
export { ConvertError, DirectiveError, NotebookError, type ConvertProblem } from "./errors.js";
export {
  cellSource,
  cellTags,
  codeCell,
  KERNELSPEC,
  LANGUAGE_INFO,
  markdownCell,
  newCellId,
  newNotebook,
  parseNotebook,
  readNotebook,
  serializeNotebook,
  writeFileAtomic,
  writeNotebook,
  type CellType,
  type Notebook,
  type NotebookCell,
} from "./ipynb.js";
export {
  DIRECTIVE_HELP,
  docText,
  parseCell,
  underScratch,
  type CellDirectives,
  type CellKind,
} from "./directives.js";
export { parseParametersCell, type ParameterSpec, type ParameterType } from "./parameters.js";
export {
  buildNotebookGraph,
  type NotebookCellInfo,
  type NotebookCellInput,
  type NotebookGraph,
  type NotebookGraphError,
  type NotebookStep,
} from "./graph.js";
export { cellToMethodBody, methodBodyToCell, type CellToMethod } from "./rewrite.js";
export { flowNameFromFile, flowToNotebook, notebookToFlow, type NotebookToFlowOptions } from "./convert.js";
