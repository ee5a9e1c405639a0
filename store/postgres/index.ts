/** store/postgres: run, task, log and history records in PostgreSQL (the remote datastore's metadata). */
export { PgMetadata, type BlobRow } from "./metadata.js";
export { ensureSchema } from "./schema.js";
export { inTransaction } from "./transaction.js";
