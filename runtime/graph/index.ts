/** runtime/graph: a flow file's DAG read statically (no user code runs), its lint, and `show`. */
export type { FlowGraph, LintProblem, ParameterNode, ParameterType, StepNode, StepOptions, StepType } from "./types.js";
export { GraphError } from "./errors.js";
export { parseFlowFile, parseFlowSource } from "./parse.js";
export { checkFlowFile, formatLint, lintGraph, LINT_RULES, RESERVED_STEP_NAMES, STEP_NAME_PATTERN, type LintRule } from "./lint.js";
export { formatShow } from "./show.js";
export { analyzeSplits, parentsOf, splitParents, splitStacks, type SplitFrame, type SplitStructure } from "./split-structure.js";
export { reachableFrom } from "../support/index.js";
export { isValueReference, lazyFreeChecker, rebindsThis } from "./scope.js";
export {
  isStepOptionKey,
  STEP_OPTION_KEYS,
  stepOptionProblem,
  toStepOptions,
  type StepOptionKey,
  type StepOptionProblem,
} from "./step-options.js";
export { NOTEBOOK_ONLY, STEPLAB_VALUE_NAMES } from "./lint-names.js";
