/** store/s3: artifact blobs in S3 (the remote datastore's data), and `s3://bucket/prefix` roots. */
export { blobKey, describeS3Error, makeS3Client, S3Blobs } from "./blobs.js";
export type { S3Settings } from "./settings.js";
export { isRemoteRoot, parseS3Root, formatS3Root, type S3Location } from "./url.js";
