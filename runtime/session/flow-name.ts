/** The flow a notebook session records its run under. */
import path from "node:path";
import { flowNameFromFile } from "../../notebooks/index.js";

export const DEFAULT_NOTEBOOK_FLOW = "NotebookFlow";

/** `%flow NAME` wins; else the notebook's file name (word_scores.ipynb -> WordScoresFlow). */
export function sessionFlowName(opts: { flowName?: string; notebookPath?: string; env?: NodeJS.ProcessEnv }): string {
  if (opts.flowName) return opts.flowName;
  // JupyterLab tells kernels the notebook's path in JPY_SESSION_NAME.
  const file = opts.notebookPath ?? opts.env?.JPY_SESSION_NAME;
  if (file?.endsWith(".ipynb")) return flowNameFromFile(path.basename(file));
  return DEFAULT_NOTEBOOK_FLOW;
}
