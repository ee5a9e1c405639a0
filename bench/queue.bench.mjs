/**
 * Queue executor benchmark, against the real services of .ci/services.sh (Redis, PostgreSQL,
 * Swift's S3 API on 127.0.0.1):
 *
 *   - throughput: notebooks/examples/wide_foreach.ts (1000 trivial foreach tasks + start, join, end) run
 *     by the local engine (LMDB, 16 workers) and by `run --with queue --datastore s3` with two local
 *     `steplab worker` processes; Metaflow's local runtime took 736 s for the same flow here.
 *   - per-task overhead: the queue's extra wall time per task over the local engine, and the
 *     latency of one task end to end when tasks run one at a time (--max-workers 1).
 *   - S3 artifact throughput: a 100 MB Float64Array committed to the remote datastore (upload +
 *     PostgreSQL commit) and read back by a store with an empty local cache (download + decode).
 *
 *   .ci/services.sh && npm run build && node --no-node-snapshot bench/queue.bench.mjs [WIDTH] [CONCURRENCY]
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(root, "bin", "steplab.js");
const FLOW = path.join(root, "notebooks", "examples", "wide_foreach.ts");
const WIDTH = Number(process.argv[2] ?? 1000);
const CONCURRENCY = Number(process.argv[3] ?? 4);
const METAFLOW_S = 736;

const envFile = process.env.STEPLAB_SERVICES_ENV ?? "/tmp/steplab-services.env";
if (!existsSync(envFile)) {
  console.error(`no ${envFile}: start the services first (.ci/services.sh)`);
  process.exit(2);
}
const services = Object.fromEntries(
  readFileSync(envFile, "utf8")
    .split("\n")
    .map((l) => /^([A-Z0-9_]+)=(.*)$/.exec(l.trim()))
    .filter(Boolean)
    .map((m) => [m[1], m[2]]),
);
const stamp = `${process.pid}-${Date.now().toString(36)}`;
const env = { ...process.env, ...services, STEPLAB_QUEUE: `bench-${stamp}`, NO_COLOR: "1" };
const temp = mkdtempSync(path.join(os.tmpdir(), "steplab-queue-bench-"));
const children = [];

function start(args, extra = {}) {
  const child = spawn(process.execPath, ["--no-node-snapshot", BIN, ...args], {
    cwd: root,
    env: { ...env, STEPLAB_CACHE_DIR: mkdtempSync(path.join(temp, "cache-")), ...extra },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (t) => (out += t));
  child.stderr.setEncoding("utf8").on("data", (t) => (out += t));
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, out: () => out, exited };
}

async function timed(args, extra) {
  const t = performance.now();
  const p = start(args, extra);
  const code = await p.exited;
  const seconds = (performance.now() - t) / 1000;
  if (code !== 0) throw new Error(`steplab ${args.join(" ")} exited ${code}:\n${p.out().slice(-3000)}`);
  return seconds;
}

async function until(check, what, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const rows = [];
const report = (what, value) => {
  rows.push([what, value]);
  console.log(`${what}: ${value}`);
};

try {
  const tasks = WIDTH + 3;
  const split = ["--max-num-splits", String(WIDTH), "--width", String(WIDTH)];

  // Warm the graph and bundle caches so both sides measure running, not first-time parsing.
  await timed([FLOW, "run", "--width", "2"], { STEPLAB_DATASTORE: path.join(temp, "warm") });

  const local = await timed([FLOW, "run", ...split], { STEPLAB_DATASTORE: path.join(temp, "local") });
  report(`local engine (LMDB, 16 workers), ${tasks} tasks`, `${local.toFixed(2)} s (${(tasks / local).toFixed(0)} tasks/s)`);

  const workers = [start(["worker", "--concurrency", String(CONCURRENCY)]), start(["worker", "--concurrency", String(CONCURRENCY)])];
  await until(() => workers.every((w) => /listening/.test(w.out())), "the workers");
  const remote = ["--with", "queue", "--datastore", "s3", "--datastore-root", `s3://${services.STEPLAB_TEST_BUCKET}/bench-${stamp}`];
  // One small run first: the workers bundle the flow and open their connections.
  await timed([FLOW, "run", "--width", "2", ...remote]);
  const queued = await timed([FLOW, "run", ...split, ...remote]);
  report(
    `queue executor, 2 workers x concurrency ${CONCURRENCY} (S3 + PostgreSQL), ${tasks} tasks`,
    `${queued.toFixed(2)} s (${(tasks / queued).toFixed(0)} tasks/s; ${(METAFLOW_S / queued).toFixed(0)}x faster than Metaflow's ${METAFLOW_S} s, ${(queued / local).toFixed(1)}x the local engine)`,
  );
  report("queue overhead per task over the local engine", `${(((queued - local) * 1000) / tasks).toFixed(1)} ms`);

  const serialWidth = 30;
  const serial = await timed([FLOW, "run", "--width", String(serialWidth), "--max-workers", "1", ...remote]);
  report(
    `one task at a time through the queue (--max-workers 1, ${serialWidth + 3} tasks)`,
    `${((serial * 1000) / (serialWidth + 3)).toFixed(0)} ms per task end to end (incl. process start)`,
  );
  for (const w of workers) w.child.kill("SIGTERM");
  await Promise.all(workers.map((w) => w.exited));

  // S3 artifact throughput through the remote datastore.
  const { RemoteStore, loadRemoteConfig, encodeArtifact, decodeArtifact, sha256 } = await import(path.join(root, "dist/store/index.js"));
  const config = loadRemoteConfig(temp, env);
  const rootUrl = `s3://${services.STEPLAB_TEST_BUCKET}/bench-s3-${stamp}`;
  const values = new Float64Array(12_500_000);
  for (let i = 0; i < values.length; i++) values[i] = Math.random();
  const bytes = encodeArtifact(values);
  const sha = sha256(bytes);
  const MB = bytes.byteLength / 1e6;
  const writer = new RemoteStore(rootUrl, { config, cacheDir: mkdtempSync(path.join(temp, "cache-")) });
  const runId = writer.newRunId();
  let t = performance.now();
  await writer.commitTask({
    task: {
      flow: "S3Bench",
      runId,
      step: "start",
      taskId: "1",
      status: "succeeded",
      attempt: 0,
      artifacts: { values: { sha, size: bytes.byteLength, type: "Float64Array" } },
      stack: [],
      inputs: [],
      startedAt: Date.now(),
    },
    blobs: new Map([[sha, bytes]]),
  });
  const up = (performance.now() - t) / 1000;
  await writer.close();
  const reader = new RemoteStore(rootUrl, { config, cacheDir: mkdtempSync(path.join(temp, "cache-")) });
  t = performance.now();
  const back = decodeArtifact(reader.getBlob(sha));
  const down = (performance.now() - t) / 1000;
  t = performance.now();
  decodeArtifact(reader.getBlob(sha));
  const cached = (performance.now() - t) / 1000;
  await reader.close();
  if (back.length !== values.length || back[12_345] !== values[12_345]) throw new Error("the artifact came back different");
  report(
    `S3: ${MB.toFixed(0)} MB artifact committed (pack, upload, PostgreSQL commit)`,
    `${(MB / up).toFixed(0)} MB/s (${up.toFixed(2)} s)`,
  );
  report(
    `S3: the same artifact read by a store with an empty cache (download, decode)`,
    `${(MB / down).toFixed(0)} MB/s (${down.toFixed(2)} s)`,
  );
  report(`S3: read again from the local LMDB cache`, `${(MB / cached).toFixed(0)} MB/s (${cached.toFixed(2)} s)`);

  console.log("\n| what | result |\n| --- | --- |");
  for (const [what, value] of rows) console.log(`| ${what} | ${value} |`);
} finally {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(temp, { recursive: true, force: true });
}
