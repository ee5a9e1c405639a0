/**
 * The race between dedup ("the store already has this blob") and gc deleting it, with real
 * concurrent processes on both stores. A writer process runs a long run whose tasks set values
 * that finished runs set just before (so the blob is there and the commit writes only the
 * record), while a gc process deletes those finished runs over and over. The writer's commits
 * land before gc's mark, between its mark and its sweep (the blob must be pinned), or after the
 * sweep (the commit must write the blob again). Afterwards every task of the long run must read
 * back whole — and the gc process must have seen at least one commit inside its window.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeArtifact, encodeArtifact, loadRemoteConfig, openStore, RemoteStore, sha256, type Store } from "../store/index.js";
import { BIN } from "./helpers/cli.js";
import { remoteServices, uniqueRoot } from "./helpers/services.js";

const services = await remoteServices();
const STORE_MODULE = path.join(path.dirname(BIN), "..", "dist", "store", "index.js");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "steplab-gc-race-"));
  dirs.push(dir);
  return dir;
}

/** The value task `i` sets: 16 KiB, different for every i. */
const VALUE = `(i) => { const a = new Uint8Array(16384); let x = (i + 1) * 2654435761; for (let k = 0; k < a.length; k++) { x = (x ^ (x << 13)) >>> 0; x = (x ^ (x >>> 17)) >>> 0; x = (x ^ (x << 5)) >>> 0; a[k] = x & 255; } return a; }`;

const WRITER = `
import { openStore, encodeArtifact, sha256 } from ${JSON.stringify(STORE_MODULE)};
const [root, pauseMs, iterations, mode] = process.argv.slice(2);
const valueOf = ${VALUE};
const store = openStore(root);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const task = (flow, runId, taskId, artifacts) => ({ flow, runId, step: "start", taskId, status: "succeeded", attempt: 0, artifacts, stack: [], inputs: [], startedAt: Date.now() });
const live = { flow: "LiveFlow", runId: store.newRunId(), status: "running", tags: [], parameters: {}, createdAt: Date.now(), pid: process.pid };
await store.putRun(live);
let i = 0;
let refused = 0;
for (; i < Number(iterations); i++) {
  const bytes = encodeArtifact(valueOf(i));
  const sha = sha256(bytes);
  const ref = { v: { sha, size: bytes.length, type: "Uint8Array" } };
  // A finished run holding the value, then a newer one, so gc may delete the first.
  for (const artifacts of [ref, {}]) {
    const old = { flow: "OldFlow", runId: store.newRunId(), status: "succeeded", tags: [], parameters: {}, createdAt: Date.now(), pid: process.pid };
    await store.putRun(old);
    await store.commitTask({ task: task("OldFlow", old.runId, "1", artifacts), blobs: new Map([[sha, bytes]]) });
  }
  await sleep(Number(pauseMs) * Math.random());
  const record = task("LiveFlow", live.runId, String(i + 1), ref);
  if (mode === "bytes") {
    // The executor's commit: every blob the task set, the store skipping those it has.
    await store.commitTask({ task: record, blobs: new Map([[sha, bytes]]) });
  } else {
    // A resume's clone: a reference to the old run's blob, without its bytes.
    await store.commitTask({ task: record, blobs: new Map() }).catch((err) => {
      if (err.code !== "BLOB_MISSING") throw err;
      refused++;
    });
  }
}
await store.putRun({ ...live, status: "succeeded", finishedAt: Date.now() });
await store.close();
console.log(JSON.stringify({ runId: live.runId, tasks: i - refused, refused }));
`;

const GC_LOOP = `
import { existsSync } from "node:fs";
import { openStore, collectGarbage } from ${JSON.stringify(STORE_MODULE)};
const [root, stopFile] = process.argv.slice(2);
const store = openStore(root);
const totals = { collections: 0, runs: 0, blobs: 0, pinned: 0 };
while (!existsSync(stopFile)) {
  const report = await collectGarbage(store, { flow: "OldFlow", keepLast: 1, now: Date.now() });
  totals.collections++;
  totals.runs += report.runs.length;
  totals.blobs += report.blobs;
  totals.pinned += report.pinned;
}
await store.close();
console.log(JSON.stringify(totals));
`;

/** Runs a script as a file: a worker thread (the remote store's I/O thread) cannot start under `node -e`. */
function node(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  const file = path.join(tempDir(), "script.mjs");
  writeFileSync(file, script);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (t: string) => (out += t));
    child.stderr.setEncoding("utf8").on("data", (t: string) => (err += t));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, out, err }));
  });
}

/** Many small tasks, so that gc's mark takes a while, as it does on a store in real use. */
async function fill(store: Store, tasks: number): Promise<void> {
  const runId = store.newRunId();
  await store.putRun({ flow: "FillerFlow", runId, status: "succeeded", tags: ["keep"], parameters: {}, createdAt: Date.now() });
  const commits: Promise<void>[] = [];
  for (let i = 1; i <= tasks; i++) {
    const bytes = encodeArtifact(`filler ${i}`);
    const sha = sha256(bytes);
    const artifacts = { v: { sha, size: bytes.length, type: "string" } };
    commits.push(
      store.commitTask({
        task: {
          flow: "FillerFlow",
          runId,
          step: "start",
          taskId: String(i),
          status: "succeeded",
          attempt: 0,
          artifacts,
          stack: [],
          inputs: [],
          startedAt: 0,
        },
        blobs: new Map([[sha, bytes]]),
      }),
    );
  }
  await Promise.all(commits);
}

interface Kind {
  name: string;
  /** "bytes": commits carry the blob (the executor); "clone": only the reference (a resume's clone). */
  mode: "bytes" | "clone";
  skip?: string;
  root(): string;
  open(root: string): Store;
  env: Record<string, string>;
  filler: number;
  pauseMs: number;
  iterations: number;
}

const kinds: Kind[] = [
  {
    name: "LMDB",
    mode: "bytes",
    root: () => path.join(tempDir(), "ds"),
    open: (root) => openStore(root),
    env: {},
    filler: 3000,
    pauseMs: 10,
    iterations: 300,
  },
  {
    name: "S3 + PostgreSQL",
    mode: "bytes",
    skip: services.skip,
    root: () => uniqueRoot(services.env, "gc-race"),
    open: (root) => new RemoteStore(root, { config: loadRemoteConfig(tmpdir(), services.env), cacheDir: tempDir() }),
    env: { ...services.env, STEPLAB_CACHE_DIR: "" },
    filler: 300,
    pauseMs: 40,
    iterations: 80,
  },
];

kinds.push({ ...kinds[0]!, name: "LMDB (clones)", mode: "clone", pauseMs: 200, iterations: 60 });

describe.each(kinds)("dedup against gc on the $name store, in concurrent processes", (kind) => {
  it.skipIf(kind.skip)("every task the run in progress recorded reads back whole", { timeout: 300_000 }, async () => {
    const root = kind.root();
    const setup = kind.open(root);
    await fill(setup, kind.filler);
    await setup.close();

    const stop = path.join(tempDir(), "stop");
    const env = { ...kind.env, STEPLAB_CACHE_DIR: tempDir() };
    const collector = node(GC_LOOP, [root, stop], env);
    const w = await node(WRITER, [root, String(kind.pauseMs), String(kind.iterations), kind.mode], env);
    writeFileSync(stop, "");
    const g = await collector;
    expect(w.err).toBe("");
    expect(g.err).toBe("");
    expect([w.code, g.code]).toEqual([0, 0]);
    // A clone whose blob gc deleted first is refused (MissingBlobError); nothing else may fail.
    const written = JSON.parse(w.out) as { runId: string; tasks: number; refused: number };
    if (kind.mode === "bytes") expect(written.refused).toBe(0);
    const totals = JSON.parse(g.out) as { collections: number; runs: number; blobs: number; pinned: number };

    const store = kind.open(root);
    try {
      const expected = new Function(`return ${VALUE}`)() as (i: number) => Uint8Array;
      const tasks = store.listRunTasks("LiveFlow", written.runId);
      expect(tasks).toHaveLength(written.tasks);
      const broken = tasks.filter((t) => {
        try {
          const back = decodeArtifact(store.getBlob(t.artifacts.v!.sha)) as Uint8Array;
          return Buffer.compare(Buffer.from(back), Buffer.from(expected(Number(t.taskId) - 1))) !== 0;
        } catch {
          return true;
        }
      });
      expect(broken.map((t) => t.taskId)).toEqual([]);
      // The race was run: gc deleted runs while the writer worked, and some commits landed
      // between a mark and its sweep (their blobs pinned).
      expect(totals.runs).toBeGreaterThan(0);
      if (kind.mode === "bytes") expect(totals.pinned).toBeGreaterThan(0);
      expect(written.tasks + written.refused).toBe(kind.iterations);
    } finally {
      await store.close();
    }
  });
});
