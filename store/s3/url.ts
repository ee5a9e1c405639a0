/** `s3://bucket/prefix` datastore roots. */
import { UsageError } from "../../errors/index.js";

export interface S3Location {
  bucket: string;
  /** Without leading or trailing slashes; "" for the bucket's root. */
  prefix: string;
}

export function isRemoteRoot(root: string): boolean {
  return /^s3:\/\//i.test(root.trim());
}

export function parseS3Root(root: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(root.trim());
  if (!m?.[1]) throw new UsageError(`'${root}' is not an S3 datastore root: write s3://BUCKET/PREFIX`);
  const prefix = (m[2] ?? "").replace(/^\/+|\/+$/g, "");
  return { bucket: m[1], prefix };
}

/** The canonical spelling, so `s3://b/p/` and `s3://b/p` name one datastore. */
export function formatS3Root({ bucket, prefix }: S3Location): string {
  return prefix ? `s3://${bucket}/${prefix}` : `s3://${bucket}`;
}
