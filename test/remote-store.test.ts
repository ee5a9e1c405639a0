/**
 * The remote datastore against real servers: Swift's S3 API for blobs, PostgreSQL for metadata.
 * Skips (saying why) when .ci/services.sh has not started them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import { NotFoundError, StoreError } from "../errors/index.js";
import {
  decodeArtifact,
  encodeArtifact,
  loadRemoteConfig,
  openStore,
  RemoteStore,
  sha256,
  type Store,
  type TaskRecord,
} from "../store/index.js";
import { remoteServices, uniqueRoot } from "./helpers/services.js";

const services = await remoteServices();
const cacheDirs: string[] = [];
const stores: Store[] = [];

function open(root: string, env: Record<string, string> = services.env): RemoteStore {
  const cacheDir = mkdtempSync(join(tmpdir(), "steplab-cache-"));
  cacheDirs.push(cacheDir);
  const store = new RemoteStore(root, { config: loadRemoteConfig(tmpdir(), env), cacheDir, timeoutMs: 30_000 });
  stores.push(store);
  return store;
}

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
  for (const d of cacheDirs) rmSync(d, { recursive: true, force: true });
});

function task(over: Partial<TaskRecord> & Pick<TaskRecord, "runId" | "step" | "taskId">): TaskRecord {
  return { flow: "RemoteFlow", status: "succeeded", attempt: 0, artifacts: {}, stack: [], inputs: [], startedAt: Date.now(), ...over };
}

describe.skipIf(services.skip)("remote datastore (S3 + PostgreSQL)", () => {
  it("commits tasks with their artifacts and reads them back synchronously, from another process's view too", async () => {
    const root = uniqueRoot(services.env, "store");
    const writer = open(root);
    const runId = writer.newRunId();
    const later = writer.newRunId();
    expect(BigInt(later)).toBeGreaterThan(BigInt(runId));
    await writer.putRun({ flow: "RemoteFlow", runId, status: "running", tags: ["t"], parameters: {}, createdAt: Date.now() });

    const value = { alpha: [1, 2, 3], big: new Float64Array(50_000).map((_, i) => i) };
    const bytes = encodeArtifact(value);
    const sha = sha256(bytes);
    for (let i = 1; i <= 12; i++) {
      const record = task({
        runId,
        step: i === 1 ? "start" : "work",
        taskId: String(i),
        artifacts: { v: { sha, size: bytes.length, type: "Object" } },
      });
      await writer.commitTask({ task: record, blobs: new Map([[sha, bytes]]), logs: { stdout: `hello ${i}\n`, stderr: "" } });
    }
    // A second store (as on another machine, with an empty cache) sees everything.
    const reader = open(root);
    expect(reader.listFlows()).toEqual(["RemoteFlow"]);
    expect(reader.listRuns("RemoteFlow").map((r) => r.runId)).toEqual([runId]);
    expect(reader.getRun("RemoteFlow", runId)?.tags).toEqual(["t"]);
    expect(reader.listSteps("RemoteFlow", runId)).toEqual(["start", "work"]);
    expect(reader.listTasks("RemoteFlow", runId, "work").map((t) => t.taskId)).toEqual([
      "2",
      "3",
      "4",
      "5",
      "6",
      "7",
      "8",
      "9",
      "10",
      "11",
      "12",
    ]);
    expect(reader.listRunTasks("RemoteFlow", runId)).toHaveLength(12);
    expect(reader.getLogs("RemoteFlow", runId, "work", "10")?.stdout).toBe("hello 10\n");
    expect(reader.getTask("RemoteFlow", runId, "work", "99")).toBeUndefined();
    expect(reader.hasBlob(sha)).toBe(true);
    const back = decodeArtifact(reader.getBlob(sha)) as typeof value;
    expect(back.alpha).toEqual([1, 2, 3]);
    expect(back.big[49_999]).toBe(49_999);
    // Second read comes from the local cache: same bytes.
    expect(sha256(reader.getBlob(sha))).toBe(sha);
    expect(() => reader.getBlob("0".repeat(64))).toThrow(NotFoundError);
  });

  it("stores blobs once, content-addressed under FLOW/data/ab/abcdef…", async () => {
    const root = uniqueRoot(services.env, "layout");
    const store = open(root);
    const runId = store.newRunId();
    const bytes = encodeArtifact("the same text in two tasks");
    const sha = sha256(bytes);
    for (const taskId of ["1", "2"]) {
      await store.commitTask({ task: task({ runId, step: "start", taskId }), blobs: new Map([[sha, bytes]]) });
    }
    const prefix = root.replace(/^s3:\/\/[^/]+\//, "");
    const s3 = new S3Client({
      region: "us-east-1",
      endpoint: services.env.STEPLAB_S3_ENDPOINT,
      forcePathStyle: true,
      credentials: { accessKeyId: services.env.AWS_ACCESS_KEY_ID!, secretAccessKey: services.env.AWS_SECRET_ACCESS_KEY! },
    });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: services.env.STEPLAB_TEST_BUCKET, Prefix: `${prefix}/` }));
    s3.destroy();
    expect((listed.Contents ?? []).map((o) => o.Key)).toEqual([`${prefix}/RemoteFlow/data/${sha.slice(0, 2)}/${sha}`]);
  });

  it("STEPLAB_DATASTORE=s3://… opens the remote datastore through openStore", async () => {
    const root = uniqueRoot(services.env, "open");
    const saved = { ...process.env };
    Object.assign(process.env, services.env, { STEPLAB_DATASTORE: root, STEPLAB_CACHE_DIR: mkdtempSync(join(tmpdir(), "steplab-cache-")) });
    try {
      const store = openStore();
      stores.push(store);
      expect(store).toBeInstanceOf(RemoteStore);
      expect(store.root).toBe(root);
      expect(store.listFlows()).toEqual([]);
    } finally {
      process.env = saved;
    }
  });

  it("fails with a clear error, not a hang, when PostgreSQL or S3 cannot be reached", async () => {
    const noDb = open(uniqueRoot(services.env, "nodb"), { ...services.env, STEPLAB_DB_URL: "postgres://postgres@127.0.0.1:1/steplab" });
    expect(() => noDb.listFlows()).toThrow(StoreError);
    expect(() => noDb.listFlows()).toThrow(/PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/steplab.*ECONNREFUSED/);

    const noS3 = open(uniqueRoot(services.env, "nos3"), { ...services.env, STEPLAB_S3_ENDPOINT: "http://127.0.0.1:1" });
    const bytes = encodeArtifact([1, 2, 3]);
    const commit = noS3.commitTask({
      task: task({ runId: "1", step: "start", taskId: "1" }),
      blobs: new Map([[sha256(bytes), bytes]]),
    });
    await expect(commit).rejects.toThrow(/S3 at http:\/\/127\.0\.0\.1:1/);
  });
});
