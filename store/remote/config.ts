/**
 * Connection settings for the scale-out pieces (Redis queue, S3 blobs, PostgreSQL metadata).
 * Environment variables win over the config file, so a CI job or one shell can override a
 * project's checked-in file. Credentials are read on each machine and never travel in job payloads.
 *
 * Config file: `steplab.config.json`, the nearest one from the working directory upwards (as
 * `.steplab/` is found), or the file named by STEPLAB_CONFIG:
 *   {
 *     "datastore": "s3://bucket/prefix",          // STEPLAB_DATASTORE
 *     "redisUrl": "redis://127.0.0.1:6379",        // STEPLAB_REDIS_URL
 *     "dbUrl": "postgres://user@host:5432/db",     // STEPLAB_DB_URL
 *     "queue": "steplab",                          // STEPLAB_QUEUE
 *     "cache": true,                               // STEPLAB_CACHE: `run` reuses unchanged tasks (run --cache)
 *     "s3": { "endpoint": "http://127.0.0.1:8080", // STEPLAB_S3_ENDPOINT
 *             "region": "us-east-1",               // AWS_REGION / AWS_DEFAULT_REGION
 *             "accessKeyId": "...",                // AWS_ACCESS_KEY_ID
 *             "secretAccessKey": "...",            // AWS_SECRET_ACCESS_KEY
 *             "forcePathStyle": true }             // STEPLAB_S3_FORCE_PATH_STYLE
 *   }
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { StoreError } from "../../errors/index.js";
import type { S3Settings } from "../s3/index.js";

export type { S3Settings };

export const CONFIG_FILE = "steplab.config.json";

export interface RemoteConfig {
  /** `s3://bucket/prefix` when configured. */
  datastore?: string;
  redisUrl?: string;
  dbUrl?: string;
  queue: string;
  s3: S3Settings;
  /** Where the settings came from, for error messages. */
  configFile?: string;
}

interface FileConfig {
  datastore?: string;
  redisUrl?: string;
  dbUrl?: string;
  queue?: string;
  s3?: Partial<S3Settings>;
}

function findConfigFile(cwd: string, env: NodeJS.ProcessEnv): string | undefined {
  if (env.STEPLAB_CONFIG) return resolve(cwd, env.STEPLAB_CONFIG);
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function readConfigFile(file: string): FileConfig {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("it is not a JSON object");
    return parsed as FileConfig;
  } catch (err) {
    throw new StoreError(`cannot read the steplab config file ${file}: ${(err as Error).message}`);
  }
}

const nonEmpty = (v: string | undefined) => (v !== undefined && v.trim() !== "" ? v.trim() : undefined);

function flag(raw: string | undefined): boolean | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  return /^(1|true|yes|on)$/i.test(raw.trim());
}

/** The nearest config file's settings as written (an empty object when there is none). */
export function loadConfigFile(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const configFile = findConfigFile(cwd, env);
  return configFile && existsSync(configFile) ? { ...readConfigFile(configFile) } : {};
}

export function loadRemoteConfig(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): RemoteConfig {
  const configFile = findConfigFile(cwd, env);
  const file: FileConfig = configFile && existsSync(configFile) ? readConfigFile(configFile) : {};
  const endpoint = nonEmpty(env.STEPLAB_S3_ENDPOINT) ?? file.s3?.endpoint;
  return {
    datastore: nonEmpty(env.STEPLAB_DATASTORE) ?? file.datastore,
    redisUrl: nonEmpty(env.STEPLAB_REDIS_URL) ?? file.redisUrl,
    dbUrl: nonEmpty(env.STEPLAB_DB_URL) ?? file.dbUrl,
    queue: nonEmpty(env.STEPLAB_QUEUE) ?? file.queue ?? "steplab",
    s3: {
      endpoint,
      region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? file.s3?.region ?? "us-east-1",
      accessKeyId: nonEmpty(env.AWS_ACCESS_KEY_ID) ?? file.s3?.accessKeyId,
      secretAccessKey: nonEmpty(env.AWS_SECRET_ACCESS_KEY) ?? file.s3?.secretAccessKey,
      sessionToken: nonEmpty(env.AWS_SESSION_TOKEN) ?? file.s3?.sessionToken,
      forcePathStyle: flag(env.STEPLAB_S3_FORCE_PATH_STYLE) ?? file.s3?.forcePathStyle ?? endpoint !== undefined,
    },
    configFile,
  };
}

/** A URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
  }
}
