/** runtime/parameters: the one home of a run's parameter values (given, environment, defaults, types). */
export { resolveParameters, envName, parameterType, type ParameterSources, type ResolvedParameters, type IncludedFile } from "./resolve.js";
export { evaluateDefaults, hasComputedDefaults, type EvaluateOptions } from "./defaults.js";
export { summarizeParameters, type ParameterSummary } from "./summary.js";
export { convertString, convertValue } from "./convert.js";
export { ParameterDefaultsError } from "./errors.js";
