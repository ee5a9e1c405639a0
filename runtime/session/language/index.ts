/** runtime/session/language: TypeScript completion, inspection and is_complete for notebook cells. */
export { CellLanguageService, type CellLanguageServiceOptions } from "./service.js";
export { isComplete } from "./is-complete.js";
export { typeOfValue } from "./type-of-value.js";
export type { CellCompleteness, CellCompletion, CellContext, CellInspection, CompletionTypeHint } from "./types.js";
