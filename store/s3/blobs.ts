/**
 * Artifact blobs in S3, content-addressed as Metaflow lays them out: `PREFIX/FLOW/data/ab/abcdef…`
 * (blobs written outside a task, such as parameters, under `PREFIX/_shared/data/…`). Objects hold
 * a blob's stored form (store/blob-pack: compressed when that pays), and are never overwritten
 * with different bytes, so any copy of one is good.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { deleteObjects } from "./delete.js";
import type { S3Settings } from "./settings.js";
import type { S3Location } from "./url.js";

/** Ms to wait for a TCP connection before calling the server unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;
/** Ms a request may sit with no bytes moving (not the whole transfer: 100 MB artifacts take longer). */
const IDLE_TIMEOUT_MS = 30_000;

type Sdk = typeof import("@aws-sdk/client-s3");
let sdk: Promise<Sdk> | undefined;

/** The AWS SDK, loaded when a remote datastore first talks to S3: a local run never pays its ~0.1 s. */
function loadSdk(): Promise<Sdk> {
  sdk ??= import("@aws-sdk/client-s3");
  return sdk;
}

export async function makeS3Client(settings: S3Settings): Promise<S3Client> {
  const { S3Client } = await loadSdk();
  const credentials =
    settings.accessKeyId && settings.secretAccessKey
      ? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey, sessionToken: settings.sessionToken }
      : undefined;
  return new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    credentials,
    maxAttempts: 3,
    // S3-compatible servers (Swift's s3api, older MinIO, Ceph) reject the SDK's default trailing
    // checksums; plain Content-Length uploads work everywhere.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: IDLE_TIMEOUT_MS },
  });
}

export function blobKey(location: S3Location, flow: string | undefined, sha: string): string {
  const parts = [location.prefix, flow ?? "_shared", "data", sha.slice(0, 2), sha].filter((p) => p !== "");
  return parts.join("/");
}

/** What a failed S3 call says to a user: the server's answer, or why it could not be reached. */
export function describeS3Error(err: unknown): string {
  // An S3ServiceException (the server answered), recognised without loading the SDK.
  const answered = err as Error & { $metadata?: { httpStatusCode?: number }; $fault?: string };
  if (answered instanceof Error && answered.$metadata && answered.$fault) {
    const { name, message } = answered;
    const status = answered.$metadata.httpStatusCode;
    return `${name}${status ? ` (HTTP ${status})` : ""}: ${message}`;
  }
  const e = err as { code?: string; name?: string; message?: string };
  return [e.code ?? e.name, e.message].filter(Boolean).join(": ") || String(err);
}

export class S3Blobs {
  private constructor(
    private readonly client: S3Client,
    private readonly sdk: Sdk,
    readonly location: S3Location,
  ) {}

  static async connect(settings: S3Settings, location: S3Location): Promise<S3Blobs> {
    return new S3Blobs(await makeS3Client(settings), await loadSdk(), location);
  }

  async checkBucket(): Promise<void> {
    await this.client.send(new this.sdk.HeadBucketCommand({ Bucket: this.location.bucket }));
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    await this.client.send(
      new this.sdk.PutObjectCommand({ Bucket: this.location.bucket, Key: key, Body: body, ContentLength: body.byteLength }),
    );
  }

  async get(key: string): Promise<Uint8Array> {
    const out = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.location.bucket, Key: key }));
    if (!out.Body) throw new Error(`S3 returned no body for ${key}`);
    return out.Body.transformToByteArray();
  }

  /** The object's bytes `start` to `end` (inclusive), or fewer if it is shorter. */
  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    const out = await this.client.send(
      new this.sdk.GetObjectCommand({ Bucket: this.location.bucket, Key: key, Range: `bytes=${start}-${end}` }),
    );
    if (!out.Body) throw new Error(`S3 returned no body for ${key}`);
    return out.Body.transformToByteArray();
  }

  async deleteMany(keys: string[]): Promise<void> {
    await deleteObjects(this.client, this.sdk.DeleteObjectsCommand, this.location.bucket, keys);
  }

  destroy(): void {
    this.client.destroy();
  }
}
