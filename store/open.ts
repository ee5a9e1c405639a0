/**
 * Opening a datastore by its root: a directory is the embedded LMDB store (the default); an
 * `s3://bucket/prefix` root is the remote datastore (S3 blobs + PostgreSQL metadata, settings from
 * the environment or steplab.config.json). Every caller that opens "the user's datastore" goes
 * through here, so STEPLAB_DATASTORE=s3://… works for the client API, dump, logs, resume and the kernel.
 */
import { openStore as openLmdbStore } from "./lmdb-store.js";
import { RemoteStore } from "./remote/index.js";
import { isRemoteRoot } from "./remote/index.js";
import { resolveStoreRoot } from "./root.js";
import type { Store } from "./types.js";

export function openStore(root: string = resolveStoreRoot()): Store {
  return isRemoteRoot(root) ? new RemoteStore(root) : openLmdbStore(root);
}
