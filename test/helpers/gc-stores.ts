/**
 * The two datastores gc's shared tests run against (the LMDB store in a temp dir, the remote store
 * on the real services: S3 through Swift, PostgreSQL), and how those tests make runs: a run record
 * and one task whose artifacts (and displays and cell value, if any) are real blobs.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll } from "vitest";
import {
  collectGarbage,
  decodeArtifact,
  encode,
  loadRemoteConfig,
  openLmdbStore,
  RemoteStore,
  type BlobBytes,
  type CollectOptions,
  type RunRecord,
  type Store,
  type TaskRecord,
} from "../../store/index.js";
import { remoteServices, uniqueRoot } from "./services.js";

export interface StoreOptions {
  /** Blobs larger than this are stored as chunks of this size. */
  chunkBytes?: number;
}

export interface Kind {
  name: string;
  skip?: string;
  open(options?: StoreOptions): Store;
  /** Another handle on the same datastore (another process's or machine's view). */
  reopen(store: Store): Store;
  /** The S3 object keys under this store's prefix (remote only). */
  objects?(store: Store): Promise<string[]>;
}

/** Both kinds of datastore; the stores and temp dirs they make are closed and removed after the file's tests. */
export async function gcStores(): Promise<Kind[]> {
  const services = await remoteServices();
  const dirs: string[] = [];
  const stores: Store[] = [];
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  const track = (store: Store) => {
    stores.push(store);
    return store;
  };
  const remoteStore = (root: string, options: StoreOptions = {}) =>
    track(new RemoteStore(root, { config: loadRemoteConfig(tmpdir(), services.env), cacheDir: tempDir("steplab-cache-"), ...options }));

  const lmdb: Kind = {
    name: "LMDB",
    open: (options = {}) => track(openLmdbStore(tempDir("steplab-gc-"), options)),
    reopen: (store) => track(openLmdbStore(store.root)),
  };
  const remote: Kind = {
    name: "S3 + PostgreSQL",
    skip: services.skip,
    open: (options) => remoteStore(uniqueRoot(services.env, "gc"), options),
    reopen: (store) => remoteStore(store.root),
    async objects(store) {
      const prefix = store.root.replace(/^s3:\/\/[^/]+\//, "");
      const s3 = new S3Client({
        region: "us-east-1",
        endpoint: services.env.STEPLAB_S3_ENDPOINT,
        forcePathStyle: true,
        credentials: { accessKeyId: services.env.AWS_ACCESS_KEY_ID!, secretAccessKey: services.env.AWS_SECRET_ACCESS_KEY! },
      });
      try {
        const keys: string[] = [];
        let token: string | undefined;
        do {
          const out = await s3.send(
            new ListObjectsV2Command({ Bucket: services.env.STEPLAB_TEST_BUCKET, Prefix: `${prefix}/`, ContinuationToken: token }),
          );
          keys.push(...(out.Contents ?? []).map((o) => o.Key!));
          token = out.NextContinuationToken;
        } while (token);
        return keys;
      } finally {
        s3.destroy();
      }
    },
  };
  return [lmdb, remote];
}

/** A pid that belonged to a process that has exited. */
export function deadPid(): number {
  return spawnSync(process.execPath, ["-e", ""]).pid!;
}

export interface Blob {
  sha: string;
  bytes: BlobBytes;
}

/** A value encoded as a step's would be: a typed array's memory is its own part, so a large one is chunked along it. */
export function blob(value: unknown): Blob {
  const { sha, parts } = encode(value);
  return { sha, bytes: parts };
}

/** A deterministic, incompressible value of `n` bytes, different for each seed. */
export function noise(seed: number, n = 20_000): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i * 32 < n; i++)
    out.set(
      createHash("sha256")
        .update(`${seed}/${i}`)
        .digest()
        .subarray(0, Math.min(32, n - i * 32)),
      i * 32,
    );
  return out;
}

export interface RunSpec {
  values: Record<string, unknown>;
  /** What the task displayed (the bundles its card shows). */
  displays?: unknown[];
  /** A notebook cell's value (what a reuse of the task shows again). */
  cellValue?: unknown;
  status?: RunRecord["status"];
  tags?: string[];
  createdAt?: number;
  pid?: number;
  host?: string;
  parameters?: Record<string, unknown>;
}

/** A run of `flow` with one task holding `values` as artifacts. */
export async function addRun(store: Store, flow: string, spec: RunSpec): Promise<RunRecord> {
  const runId = store.newRunId();
  const parameters: RunRecord["parameters"] = {};
  const paramBlobs = new Map<string, BlobBytes>();
  for (const [name, value] of Object.entries(spec.parameters ?? {})) {
    const b = blob(value);
    parameters[name] = { sha: b.sha, size: 1, type: "x" };
    paramBlobs.set(b.sha, b.bytes);
  }
  await store.putBlobs(paramBlobs);
  const run: RunRecord = {
    flow,
    runId,
    status: spec.status ?? "succeeded",
    tags: spec.tags ?? [],
    parameters,
    createdAt: spec.createdAt ?? Date.now(),
    pid: spec.pid ?? process.pid,
    ...(spec.host ? { host: spec.host } : {}),
  };
  await store.putRun(run);
  await commit(store, run, "1", spec.values, true, spec.displays, spec.cellValue);
  return run;
}

export async function commit(
  store: Store,
  run: RunRecord,
  taskId: string,
  values: Record<string, unknown>,
  withBytes = true,
  displays?: unknown[],
  cellValue?: unknown,
): Promise<TaskRecord> {
  const artifacts: TaskRecord["artifacts"] = {};
  const blobs = new Map<string, BlobBytes>();
  for (const [name, value] of Object.entries(values)) {
    const b = blob(value);
    artifacts[name] = { sha: b.sha, size: 1, type: "x" };
    if (withBytes) blobs.set(b.sha, b.bytes);
  }
  const task: TaskRecord = {
    flow: run.flow,
    runId: run.runId,
    step: "start",
    taskId,
    status: "succeeded",
    attempt: 0,
    artifacts,
    stack: [],
    inputs: [],
    startedAt: Date.now(),
  };
  if (displays) {
    const b = blob(displays);
    task.displays = { sha: b.sha, size: 1, type: "displays" };
    blobs.set(b.sha, b.bytes);
  }
  if (cellValue !== undefined) {
    const b = blob({ of: cellValue });
    task.cellValue = { sha: b.sha, size: 1, type: "cell value" };
    blobs.set(b.sha, b.bytes);
  }
  await store.commitTask({ task, blobs, logs: { stdout: `task ${taskId}\n`, stderr: "" } });
  return task;
}

export function readsBack(store: Store, run: RunRecord): Record<string, unknown> {
  const [task] = store.listRunTasks(run.flow, run.runId);
  return Object.fromEntries(Object.entries(task!.artifacts).map(([n, ref]) => [n, decodeArtifact(store.getBlob(ref.sha))]));
}

export const gc = (store: Store, opts: Partial<CollectOptions>) => collectGarbage(store, { now: Date.now(), ...opts });
