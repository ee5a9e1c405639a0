/** repl/: the Ink terminal REPL, a thin front end over runtime/session's NotebookSession. */
export { ReplApp, type ReplAppProps } from "./app.js";
export { Explorer, type ExplorerProps } from "./explorer.js";
export {
  clientExplorerSource,
  type ExplorerArtifact,
  type ExplorerRun,
  type ExplorerSource,
  type ExplorerStep,
  type ExplorerTask,
} from "./explorer-source.js";
export { directiveTags, loadNotebook, saveNotebook } from "./notebook-file.js";
export { isReplMagic, parseReplMagic, type NotebookCell, type ReplMagic } from "./model/index.js";
export { formatTable, isRecordArray } from "./table.js";
export { bundleText } from "./mime.js";
export { withChartFiles, chartsDir } from "./chart-files.js";
export { openCard, cardsDir } from "./open-card.js";
export { highlight, tokenize } from "./highlight.js";
