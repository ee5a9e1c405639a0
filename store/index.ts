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
export type { Store, TaskCommit, BlobBytes } from "./types.js";
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
export {
  encode,
  encodeWire,
  encodeArtifact,
  decodeArtifact,
  wireFromBytes,
  joinParts,
  typeName,
  sha256,
  sha256Parts,
  type Encoded,
} from "./codec.js";
export { toWire, fromWire, type WireValue } from "./wire.js";
export { childBlobs, DEFAULT_CHUNK_BYTES } from "./chunks.js";
export type { LmdbStoreOptions } from "./lmdb-store.js";
export { ArtifactEncodeError, BlobDamagedError, StoreDamagedError, StoreFullError } from "./errors.js";
export { storeReader, type StoreReader } from "./reader.js";
// Class envelopes, and what a step hands over to store a value (toStorable).
export * from "./envelope.js";
export { registerArtifactClass, registerOwnClasses, UnstorableClassError, UnknownArtifactClassError } from "./artifact-classes.js";
export { artifactNameProblem, showName, RECORDED_NAMES } from "./artifact-names.js";
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
export { runOwner, ownerGone } from "./run-owner.js";
