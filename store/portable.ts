/**
 * The part of store/ that runs anywhere, inside isolates too (no LMDB, no Node APIs): the record
 * types, pathspecs and the class envelope. Guest code (the sandbox's runtime, the client API)
 * imports this; host code imports store/index, which re-exports it.
 */
export type * from "./types.js";
export { runPathspec, taskPathspec, type TaskPlace } from "./pathspec.js";
export { registerArtifactClass, toEnvelopes, fromEnvelopes, isEnvelope, type ArtifactClass } from "./envelope.js";
export { toWire, fromWire, type WireValue } from "./wire.js";
export type { RecordColumn, RecordTable } from "./records.js";
