export type {
  RunRecord,
  RunStatus,
  TaskRecord,
  TaskStatus,
  ArtifactRef,
  Frame,
  TaskError,
  TaskLogs,
  HistoryEntry,
} from "./types.js";
export type { Store, TaskCommit } from "./types.js";
export { openStore, resolveStoreRoot } from "./lmdb-store.js";
export { encodeArtifact, decodeArtifact, typeName, sha256 } from "./codec.js";
export { ArtifactEncodeError } from "./errors.js";
