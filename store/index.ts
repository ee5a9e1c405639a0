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
  CachedTask,
} from "./types.js";
export type { Store, TaskCommit } from "./types.js";
export { openStore } from "./open.js";
export { openStore as openLmdbStore, resolveStoreRoot } from "./lmdb-store.js";
export {
  RemoteStore,
  loadRemoteConfig,
  loadConfigFile,
  isRemoteRoot,
  parseS3Root,
  formatS3Root,
  redactUrl,
  CONFIG_FILE,
} from "./remote/index.js";
export type { RemoteConfig, S3Settings, S3Location, RemoteStoreOptions } from "./remote/index.js";
export { encodeArtifact, decodeArtifact, typeName, sha256 } from "./codec.js";
export { ArtifactEncodeError } from "./errors.js";
export { storeReader, type StoreReader } from "./reader.js";
export { registerArtifactClass, toEnvelopes, fromEnvelopes, isEnvelope } from "./envelope.js";
export { runPathspec, taskPathspec, type TaskPlace } from "./pathspec.js";
export { ScratchStore } from "./scratch-store.js";
export {
  collectGarbage,
  runSizes,
  MissingBlobError,
  GcBusyError,
  CompactBusyError,
  KEEP_TAG,
  PENDING_GRACE_OTHER_HOST_MS,
  pendingProtected,
  ownerAlive,
  type CollectOptions,
  type CollectReport,
  type StoreCollector,
  type CompactResult,
  type RunKey,
} from "./gc/index.js";
