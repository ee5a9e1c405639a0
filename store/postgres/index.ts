/** store/postgres: run, task, log and history records in PostgreSQL (the remote datastore's metadata). */
export { PgMetadata, type BlobRow } from "./metadata.js";
export { ensureSchema } from "./schema.js";
export { inTransaction } from "./transaction.js";
export { PgCollector, type DoomedBlob } from "./gc.js";
export type { Resupply, UploadedBlobs } from "./gc-guard.js";
