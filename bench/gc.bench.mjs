/**
 * steplab gc benchmarks, against dist/ (the built package) through the real command:
 *
 *  1. Space: three runs of one flow, 100 MB of their own each; `gc FLOW --keep-last 1`, then
 *     `gc --compact`. Target: the datastore file at most 1.5x the live data (the stored bytes of
 *     the blobs still referenced). Beside it, the peer: the file of a datastore that only ever
 *     held one such run.
 *  2. Time: a 10,000-task datastore (10 runs x 1000 tasks, 3 artifacts each); `gc FLOW --keep-last 1`
 *     deletes 9 runs. Target <= 5 s wall. Beside it, in the same run: `steplab runs FLOW` (node
 *     start-up plus one read of every task, the mark's read) and `steplab help` (start-up alone).
 *  3. The design choice: the mark phase against reference counts kept at commit time, on raw
 *     LMDB with the store's access pattern: what counting adds to each of 10,000 commits, and what
 *     each approach costs when 9,000 of the tasks are deleted.
 *
 *   npm run build && node --no-node-snapshot bench/gc.bench.mjs [--space-only | --time-only]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runSteplab } from "./steplab-process.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const store = await import(pathToFileURL(path.join(root, "dist", "store", "index.js")).href);
// The lmdb build steplab itself loads (store/lmdb-module), so this process holds one.
const { lmdb } = await import(pathToFileURL(path.join(root, "dist", "store", "lmdb-module.js")).href);
const MB = 1e6;

const steplab = (args, datastore, cwd) => runSteplab(args, { cwd, datastore });

const line = (verdict, name, value, target) => console.log(`${verdict.padEnd(4)}  ${name}: ${value}  (target ${target})`);
const fileSize = (ds) => statSync(path.join(ds, "data.mdb")).size;
let failed = false;

/** Stored bytes of every blob the datastore still holds. */
function liveBytes(datastore) {
  const s = store.openStore(datastore);
  try {
    const c = s.collector();
    return [...c.storedSizes(c.blobShas()).values()].reduce((a, b) => a + b, 0);
  } finally {
    void s.close();
  }
}

async function space(work) {
  const flow = path.join(root, "bench", "flows", "gc-100mb.ts");
  const ds = path.join(work, "space");
  for (let i = 0; i < 3; i++) await steplab([flow, "run"], ds, work);
  const full = fileSize(ds);
  const gc = await steplab(["gc", "Gc100MbFlow", "--keep-last", "1"], ds, work);
  const afterGc = fileSize(ds);
  const compact = await steplab(["gc", "--compact"], ds, work);
  const after = fileSize(ds);
  const live = liveBytes(ds);

  const peerDs = path.join(work, "peer");
  await steplab([flow, "run"], peerDs, work);
  const peer = fileSize(peerDs);

  const ratio = after / live;
  line("info", "three 100 MB runs: datastore file", `${(full / MB).toFixed(0)} MB`, "info");
  line("info", "after gc --keep-last 1 (LMDB keeps freed pages)", `${(afterGc / MB).toFixed(0)} MB in ${gc.seconds.toFixed(2)} s`, "info");
  line("info", "gc --compact", `${compact.seconds.toFixed(2)} s`, "info");
  line(
    ratio <= 1.5 ? "PASS" : "FAIL",
    "after gc --compact: file / live data",
    `${(after / MB).toFixed(1)} MB / ${(live / MB).toFixed(1)} MB = ${ratio.toFixed(2)}x`,
    "<= 1.5x",
  );
  line("info", "peer: a datastore that only ever held one such run", `${(peer / MB).toFixed(1)} MB (${(peer / live).toFixed(2)}x)`, "info");
  failed ||= ratio > 1.5;
}

/** A datastore of `runs` runs x `tasks` tasks, 3 artifacts each (two of the task's own, one shared). */
async function wideStore(ds, runs, tasks) {
  const s = store.openStore(ds);
  const shared = store.encodeArtifact("shared by every task");
  const sharedRef = { sha: store.sha256(shared), size: shared.length, type: "string" };
  for (let r = 0; r < runs; r++) {
    const runId = s.newRunId();
    await s.putRun({ flow: "WideGcFlow", runId, status: "succeeded", tags: [], parameters: {}, createdAt: Date.now() });
    const commits = [];
    for (let t = 1; t <= tasks; t++) {
      const blobs = new Map([[sharedRef.sha, shared]]);
      const artifacts = { shared: sharedRef };
      for (const name of ["a", "b"]) {
        const bytes = store.encodeArtifact(`${name} of task ${t} of run ${r}: ${"x".repeat(100)}`);
        const sha = store.sha256(bytes);
        blobs.set(sha, bytes);
        artifacts[name] = { sha, size: bytes.length, type: "string" };
      }
      const task = {
        flow: "WideGcFlow",
        runId,
        step: "work",
        taskId: String(t),
        status: "succeeded",
        attempt: 0,
        artifacts,
        stack: [],
        inputs: [],
        startedAt: 0,
      };
      commits.push(s.commitTask({ task, blobs, logs: { stdout: `task ${t}\n`, stderr: "" } }));
    }
    await Promise.all(commits);
  }
  await s.close();
}

async function time(work) {
  const ds = path.join(work, "wide");
  await wideStore(ds, 10, 1000);
  const help = await steplab(["help"], ds, work);
  const runs = await steplab(["runs", "WideGcFlow"], ds, work);
  const gc = await steplab(["gc", "WideGcFlow", "--keep-last", "1"], ds, work);
  const deleted = /Deleted (\d+) runs \((\d+) tasks\)/.exec(gc.stdout);
  const blobs = /Deleted (\d+) artifact blobs/.exec(gc.stdout);
  line(
    gc.seconds <= 5 ? "PASS" : "FAIL",
    `gc of a 10,000-task datastore (deleted ${deleted?.[1]} runs, ${deleted?.[2]} tasks, ${blobs?.[1]} blobs), wall`,
    `${gc.seconds.toFixed(2)} s`,
    "<= 5 s",
  );
  line("info", "peer: steplab runs on the same datastore (reads every task once), wall", `${runs.seconds.toFixed(2)} s`, "info");
  line("info", "floor: steplab help (node start-up), wall", `${help.seconds.toFixed(2)} s`, "info");
  failed ||= gc.seconds > 5;
}

/** Reference counts against the mark, on raw LMDB with the store's access pattern. */
async function design(work) {
  const TASKS = 10_000;
  const artifactsOf = (t) => [`shared`, `a${t}`, `b${t}`].map((v) => store.sha256(store.encodeArtifact(v)));
  const bytes = store.encodeArtifact(`value ${"x".repeat(100)}`);
  const results = {};
  for (const counted of [false, true]) {
    const env = lmdb.open({ path: path.join(work, counted ? "counted" : "plain"), maxDbs: 8, noSync: true });
    const blobs = env.openDB("blobs", { encoding: "binary" });
    const tasks = env.openDB("tasks", { encoding: "msgpack", useRecords: false });
    const refs = env.openDB("refs", { encoding: "msgpack", useRecords: false });
    let started = performance.now();
    for (let t = 0; t < TASKS; t++) {
      const shas = artifactsOf(t);
      env.transactionSync(() => {
        for (const sha of shas) if (!blobs.doesExist(sha)) blobs.putSync(sha, bytes);
        tasks.putSync([Math.floor(t / 1000), t], { artifacts: shas });
        if (counted) for (const sha of shas) refs.putSync(sha, (refs.get(sha) ?? 0) + 1);
      });
    }
    const commitMicros = ((performance.now() - started) * 1000) / TASKS;
    // Delete runs 0..8 (9,000 tasks), then their blobs no task refers to.
    started = performance.now();
    if (counted) {
      env.transactionSync(() => {
        for (const { key, value } of tasks.getRange({ start: [0], end: [9] })) {
          for (const sha of value.artifacts) {
            const n = refs.get(sha) - 1;
            if (n === 0) {
              refs.removeSync(sha);
              blobs.removeSync(sha);
            } else refs.putSync(sha, n);
          }
          tasks.removeSync(key);
        }
      });
    } else {
      const doomed = [...tasks.getKeys({ start: [0], end: [9] })];
      const live = new Set();
      for (const { value } of tasks.getRange({ start: [9], end: [10] })) for (const sha of value.artifacts) live.add(sha);
      const garbage = [...blobs.getKeys({})].filter((sha) => !live.has(sha));
      env.transactionSync(() => {
        for (const key of doomed) tasks.removeSync(key);
        for (const sha of garbage) blobs.removeSync(sha);
      });
    }
    results[counted ? "counted" : "plain"] = { commitMicros, gcMs: performance.now() - started };
    await env.close();
  }
  const { plain, counted } = results;
  line(
    "info",
    "design: a commit (3 artifacts), plain / with reference counts",
    `${plain.commitMicros.toFixed(1)} / ${counted.commitMicros.toFixed(1)} µs`,
    "info",
  );
  line(
    "info",
    "design: deleting 9,000 of 10,000 tasks and their blobs, mark / reference counts",
    `${plain.gcMs.toFixed(0)} / ${counted.gcMs.toFixed(0)} ms`,
    "info",
  );
}

const work = mkdtempSync(path.join(os.tmpdir(), "steplab-gc-bench-"));
try {
  if (!process.argv.includes("--time-only")) await space(work);
  if (!process.argv.includes("--space-only")) {
    await time(work);
    await design(work);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(
  `\nmachine: ${os.cpus().length} cores, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
process.exitCode = failed ? 1 : 0;
