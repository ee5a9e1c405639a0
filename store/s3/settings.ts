/** How to reach S3 (or a server that speaks its API). */
export interface S3Settings {
  /** Unset: AWS's own endpoint for the region. */
  endpoint?: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Path-style URLs (`endpoint/bucket/key`); on by default when an endpoint is given (MinIO, Swift, Ceph). */
  forcePathStyle: boolean;
}
