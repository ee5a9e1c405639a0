/** A blob's row in PostgreSQL's index of the S3 datastore (steplab_blobs). */
export interface BlobRow {
  sha: string;
  key: string;
  size: number;
  storedSize: number;
  /** The chunks a manifest names (store/chunks), none for a blob stored whole or a chunk: gc's mark reads them here. */
  children: string[];
}
