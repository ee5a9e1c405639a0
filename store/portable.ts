/**
 * The part of store/ that runs anywhere, inside isolates too (no LMDB, no Node APIs): the record
 * types, pathspecs and the class envelope. Guest code (the sandbox's runtime, the client API)
 * imports this; host code imports store/index, which re-exports it.
 */
export type * from "./types.js";
export { runPathspec, taskPathspec, type TaskPlace } from "./pathspec.js";
// Class envelopes, and what a step hands over to store a value (toStorable).
export * from "./envelope.js";
export {
  registerArtifactClass,
  registerOwnClasses,
  UnstorableClassError,
  UnknownArtifactClassError,
  type ArtifactClass,
} from "./artifact-classes.js";
export { artifactNameProblem, showName, RECORDED_NAMES } from "./artifact-names.js";
export { toWire, fromWire, VIEW_TYPES, type WireValue } from "./wire.js";
export type { RecordColumn, RecordTable } from "./records.js";
