/** Messages between a RemoteStore and its I/O thread (structured clone; blob bytes transferred). */
import type { S3Settings } from "./config.js";

export interface BridgeSettings {
  /** Canonical `s3://bucket/prefix`: the datastore's name in PostgreSQL too. */
  root: string;
  dbUrl?: string;
  s3: S3Settings;
  /** Where the settings came from, named in "not configured" errors. */
  configFile?: string;
  /** Blobs larger than this are stored as chunks of this size (store/chunks). */
  chunkBytes: number;
}

export interface BridgeRequest {
  id: number;
  op: string;
  args: unknown[];
  /** Answered on the sync port with a wake-up through the shared flag. */
  sync: boolean;
}

export interface BridgeReply {
  id: number;
  value?: unknown;
  error?: { code: string; message: string };
}
