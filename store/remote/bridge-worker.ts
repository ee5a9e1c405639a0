/**
 * The I/O thread of a RemoteStore: it owns the PostgreSQL pool and the S3 client and answers the
 * store's calls. The store's reads are synchronous (the client API is), so the caller blocks on a
 * shared flag (Atomics.wait) while this thread does the asynchronous work — the synckit pattern.
 * Every network call here has a timeout, so a caller never waits forever on an unreachable server.
 */
import os from "node:os";
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import pg from "pg";
import { SteplabError } from "../../errors/index.js";
import { packChunk } from "../blob-pack.js";
import { childBlobs, headOf, planBlob } from "../chunks.js";
import { PgCollector, PgMetadata, type BlobRow, type Resupply, type UploadedBlobs } from "../postgres/index.js";
import { ensureSchema } from "../postgres/index.js";
import { runPathspec, taskPathspec } from "../pathspec.js";
import { blobKey, describeS3Error, S3Blobs } from "../s3/index.js";
import type { CachedTask, HistoryEntry, RunRecord, TaskLogs, TaskRecord, BlobBytes } from "../types.js";
import { gcOps } from "./bridge-gc.js";
import { CONFIG_FILE, redactUrl } from "./config.js";
import type { BridgeReply, BridgeRequest, BridgeSettings } from "./protocol.js";
import { parseS3Root } from "../s3/index.js";

const { settings, syncPort, flag } = workerData as { settings: BridgeSettings; syncPort: MessagePort; flag: Int32Array };
const location = parseS3Root(settings.root);
// The pinned SDK runs on Node 20; its notice that later releases will need Node 22 would be
// printed by every process that touches S3, into users' run output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const UPLOAD_CONCURRENCY = 8;

class BridgeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const where = settings.configFile ? `${CONFIG_FILE} (${settings.configFile})` : CONFIG_FILE;

// ---- PostgreSQL

let pool: pg.Pool | undefined;
let schema: Promise<void> | undefined;

function dbDescription(): string {
  return settings.dbUrl ? redactUrl(settings.dbUrl) : "(not configured)";
}

function pgError(err: unknown): BridgeError {
  if (err instanceof BridgeError) return err;
  if (err instanceof SteplabError) return new BridgeError(err.code, err.message);
  const e = err as { code?: string; message?: string };
  const detail = [e.code, e.message].filter(Boolean).join(": ") || String(err);
  return new BridgeError("DB", `the metadata database (PostgreSQL at ${dbDescription()}) failed: ${detail}`);
}

async function metadata(): Promise<PgMetadata> {
  if (!settings.dbUrl) {
    throw new BridgeError(
      "DB_CONFIG",
      `the datastore ${settings.root} keeps its metadata in PostgreSQL, but no database is configured: set STEPLAB_DB_URL or "dbUrl" in ${where}`,
    );
  }
  if (!pool) {
    pool = new pg.Pool({
      connectionString: settings.dbUrl,
      max: 6,
      connectionTimeoutMillis: 5_000,
      query_timeout: 60_000,
      statement_timeout: 60_000,
      idleTimeoutMillis: 10_000,
      allowExitOnIdle: true,
    });
    // An idle client losing its connection is reported here; the next query reconnects.
    pool.on("error", () => undefined);
  }
  schema ??= ensureSchema(pool).catch((err) => {
    schema = undefined;
    throw err;
  });
  await schema;
  return new PgMetadata(pool, settings.root);
}

async function withDb<T>(body: (db: PgMetadata) => Promise<T>): Promise<T> {
  try {
    return await body(await metadata());
  } catch (err) {
    throw pgError(err);
  }
}

let collector: PgCollector | undefined;

async function withCollector<T>(body: (gc: PgCollector) => Promise<T>): Promise<T> {
  try {
    await metadata();
    collector ??= new PgCollector(pool!, settings.root);
    return await body(collector);
  } catch (err) {
    throw pgError(err);
  }
}

// ---- S3

let blobs: Promise<S3Blobs> | undefined;
let bucketChecked: Promise<void> | undefined;

function s3Error(err: unknown): BridgeError {
  if (err instanceof BridgeError) return err;
  const endpoint = settings.s3.endpoint ?? `AWS S3 (${settings.s3.region})`;
  return new BridgeError("S3", `the artifact store (S3 at ${endpoint}, bucket ${location.bucket}) failed: ${describeS3Error(err)}`);
}

async function s3(): Promise<S3Blobs> {
  blobs ??= S3Blobs.connect(settings.s3, location).catch((err: unknown) => {
    blobs = undefined;
    throw err;
  });
  const b = await blobs;
  bucketChecked ??= b.checkBucket().catch((err: unknown) => {
    bucketChecked = undefined;
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) {
      throw new BridgeError("S3", `the S3 bucket '${location.bucket}' does not exist at ${settings.s3.endpoint ?? "AWS"}: create it first`);
    }
    throw s3Error(err);
  });
  await bucketChecked;
  return b;
}

async function withS3<T>(body: (s3: S3Blobs) => Promise<T>): Promise<T> {
  try {
    return await body(await s3());
  } catch (err) {
    throw s3Error(err);
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(lanes);
  return out;
}

/**
/**
 * Uploads the blobs the datastore does not have yet; returns their index rows (not yet committed)
 * and the gc epoch read before the uploads began (store/postgres/gc-guard.ts). Blobs a gc sweep
 * is deleting are left for the commit, which uploads them under its lock.
 */
async function upload(entries: [string, BlobBytes][], flow: string | undefined): Promise<UploadedBlobs> {
  if (entries.length === 0) return { rows: [], epoch: 0 };
  const { known, doomed, epoch } = await withDb((db) => db.knownBlobs(entries.map(([sha]) => sha)));
  const fresh = entries.filter(([sha]) => !known.has(sha) && !doomed.has(sha));
  return { rows: await uploadNow(fresh, flow), epoch };
}

/** A commit's answer to "these blobs are missing": uploads those it has the bytes of. */
function resupplyFrom(entries: [string, BlobBytes][], flow: string | undefined): Resupply {
  const bytes = new Map(entries);
  return (shas) =>
    uploadNow(
      shas.flatMap((sha): [string, BlobBytes][] => (bytes.has(sha) ? [[sha, bytes.get(sha)!]] : [])),
      flow,
    );
}

/**
 * Uploads these blobs (a large one as its chunks not stored by an earlier blob, each packed as it
 * goes, then its manifest); returns their index rows. A chunk being deleted by a sweep is uploaded
 * again: if the sweep deletes it still, the epoch tells the commit (gc-guard.ts).
 */
async function uploadNow(fresh: [string, BlobBytes][], flow: string | undefined): Promise<BlobRow[]> {
  if (fresh.length === 0) return [];
  const planned = fresh.map(([sha, bytes]) => planBlob(sha, bytes, settings.chunkBytes, () => false));
  const stored = (await withDb((db) => db.knownBlobs(planned.flatMap((p) => p.chunks.map(([key]) => key))))).known;
  // A chunk goes up once, even when two blobs of the commit share it.
  const plans = planned.map((p) => ({ ...p, chunks: p.chunks.filter(([key]) => !stored.has(key) && stored.add(key)) }));
  const put = async (s3: S3Blobs, sha: string, body: Uint8Array, size: number, children: string[] = []): Promise<BlobRow> => {
    const key = blobKey(location, flow, sha);
    await s3.put(key, body);
    return { sha, key, size, storedSize: body.byteLength, children };
  };
  return withS3(async (s3) => {
    const chunks = plans.flatMap((p) => p.chunks);
    const chunkRows = await mapLimit(chunks, UPLOAD_CONCURRENCY, async ([key, bytes]) =>
      put(s3, key, await packChunk(bytes), bytes.byteLength),
    );
    const headRows = await mapLimit(plans, UPLOAD_CONCURRENCY, async (plan) =>
      put(s3, plan.sha, await headOf(plan), plan.size, plan.manifest ? childBlobs(plan.manifest) : []),
    );
    return [...chunkRows, ...headRows];
  });
}

// ---- operations

// Writes to one record are applied in the order they were sent (a task's "running" commit is
// not awaited by its caller and must not land after its final one).
const chains = new Map<string, Promise<unknown>>();
function inOrder<T>(key: string, body: () => Promise<T>): Promise<T> {
  const previous = chains.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(body);
  chains.set(key, next);
  void next
    .finally(() => {
      if (chains.get(key) === next) chains.delete(key);
    })
    .catch(() => undefined);
  return next;
}

type Op = (...args: never[]) => Promise<unknown>;

const ops: Record<string, Op> = {
  newRunId: () => withDb((db) => db.newRunId()),
  putRun: (run: RunRecord) => inOrder(`run/${runPathspec(run)}`, () => withDb((db) => db.putRun(run))),
  getRun: (flow: string, runId: string) => withDb((db) => db.getRun(flow, runId)),
  listRuns: (flow: string) => withDb((db) => db.listRuns(flow)),
  listFlows: () => withDb((db) => db.listFlows()),
  getTask: (flow: string, runId: string, step: string, taskId: string) => withDb((db) => db.getTask(flow, runId, step, taskId)),
  listSteps: (flow: string, runId: string) => withDb((db) => db.listSteps(flow, runId)),
  listTasks: (flow: string, runId: string, step?: string) => withDb((db) => db.listTasks(flow, runId, step)),
  getLogs: (flow: string, runId: string, step: string, taskId: string) => withDb((db) => db.getLogs(flow, runId, step, taskId)),
  getCachedTask: (flow: string, key: string) => withDb((db) => db.getCachedTask(flow, key)),
  putCachedTask: (flow: string, key: string, task: CachedTask) =>
    inOrder(`cache/${flow}/${key}`, () => withDb((db) => db.putCachedTask(flow, key, task))),
  addHistory: (entry: HistoryEntry) => withDb((db) => db.addHistory(entry)),
  listHistory: (limit?: number) => withDb((db) => db.listHistory(limit)),
  hasBlob: async (sha: string) => (await withDb((db) => db.knownBlobs([sha]))).known.has(sha),
  getBlob: async (sha: string) => {
    const key = await withDb((db) => db.blobKey(sha));
    if (!key) throw new BridgeError("NOT_FOUND", `artifact data ${sha} is not in the datastore ${settings.root}`);
    return withS3((store) => store.get(key));
  },
  forgetBlob: (sha: string) => withDb((db) => db.forgetBlob(sha)),
  blobOwners: (sha: string, limit: number) => withDb((db) => db.blobOwners(sha, limit)),
  putBlobs: async (entries: [string, BlobBytes][]) => {
    const uploaded = await upload(entries, undefined);
    const owner = { pid: process.pid, host: os.hostname() };
    await withDb((db) =>
      db.commitBlobs(
        uploaded,
        entries.map(([sha]) => sha),
        resupplyFrom(entries, undefined),
        owner,
      ),
    );
  },
  commitTask: (commit: { task: TaskRecord; blobs: [string, BlobBytes][]; logs?: TaskLogs }) => {
    const { task } = commit;
    // Blobs are uploaded before the record that refers to them is committed.
    return inOrder(`task/${taskPathspec(task)}`, async () => {
      const uploaded = await upload(commit.blobs, task.flow);
      await withDb((db) => db.commitTask(task, uploaded, commit.logs, resupplyFrom(commit.blobs, task.flow)));
    });
  },
  ...gcOps({ withCollector, withS3 }),
  close: async () => {
    await Promise.allSettled([...chains.values()]);
    (await blobs?.catch(() => undefined))?.destroy();
    await pool?.end().catch(() => undefined);
  },
};

function transferable(value: unknown): ArrayBuffer[] {
  if (value instanceof Uint8Array && value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) {
    return value.buffer instanceof ArrayBuffer ? [value.buffer] : [];
  }
  return [];
}

function reply(request: BridgeRequest, answer: Omit<BridgeReply, "id">): void {
  const message: BridgeReply = { id: request.id, ...answer };
  if (request.sync) {
    syncPort.postMessage(message, transferable(answer.value));
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  } else {
    parentPort!.postMessage(message, transferable(answer.value));
  }
}

parentPort!.on("message", (request: BridgeRequest) => {
  const op = ops[request.op];
  if (!op) {
    reply(request, { error: { code: "STORE", message: `unknown datastore operation ${request.op}` } });
    return;
  }
  (op as (...args: unknown[]) => Promise<unknown>)(...request.args).then(
    (value) => reply(request, { value }),
    (err: unknown) => {
      const e = err instanceof BridgeError ? err : new BridgeError("STORE", (err as Error)?.message ?? String(err));
      reply(request, { error: { code: e.code, message: e.message } });
    },
  );
});
