/**
 * The data-plane figures of issue 15, each printed beside its floor (or peer) measured in the same
 * run, for `npm run bench` (bench/run.mjs) or on their own:
 *
 *   npm run build && node --no-node-snapshot bench/data.mjs
 *
 *  - HelloWorld `run` (median of 5) against `node -e 0` (median of 5, interleaved)   <= 4x
 *  - 1,000,000 row objects built in start and summed in the next step (bench/flows/rows.ts):
 *    flow minus HelloWorld <= 2.5x the floor (plain Node: build + v8.serialize + sha256 +
 *    deserialize, bench/floors.mjs); flow <= Metaflow / 3; peak RSS <= Metaflow's
 *  - 100 MB of random bytes stored and read by the next step (bench/flows/bytes.ts): flow minus
 *    HelloWorld <= 2.5x the floor (fill + copy + sha256 + copy); peak <= the floor's + 200 MB
 *  - a 1 GB Uint32Array stored and read (bench/flows/gigabyte.ts): works, peak <= 3.5 GB
 *
 * Flows run through the real command, each in a fresh datastore (so dedup skips nothing), median
 * of 3 after one uncounted run (which parses and bundles the flow; its time is printed too); each
 * flow run, floor run and peer run right after touching 1 GB of memory (warmMemory). Metaflow
 * cannot be installed everywhere: when `import metaflow` fails, its figures from the issue (same
 * data, measured on this kind of machine) stand in, and the line says so.
 * Peak RSS is VmHWM from /proc (Linux), polled while the process runs.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(root, "bin", "steplab.js");
const FLOWS = path.join(root, "bench", "flows");
const HELLO = path.join(root, "test", "fixtures", "flows", "hello-world.ts");
const MB = 1e6;
const MiB = 1024 * 1024;

/** Issue 15's Metaflow 2.19 figures on this kind of machine (2 cores), used when Metaflow is not installed. */
const METAFLOW_ISSUE = { rows: { seconds: 7.2, peakMiB: 648 }, bytes: { seconds: 5.2, peakMiB: 423 } };

function peakKiB(pid) {
  try {
    const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // gone
  }
}

/** Runs a command to its end: wall seconds and peak RSS in MiB. */
function timed(command, args, env = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let peak = 0;
    const poll = setInterval(() => (peak = Math.max(peak, peakKiB(child.pid))), 20);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(poll);
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) reject(new Error(`${command} ${args.join(" ")} exited ${code}\n${out}`));
      else resolve({ seconds, peakMiB: peak / 1024, out });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function steplab(flow, work, env = {}) {
  warmMemory();
  const datastore = mkdtempSync(path.join(work, "ds-"));
  return timed(process.execPath, ["--no-node-snapshot", BIN, flow, "run"], { STEPLAB_DATASTORE: datastore, ...env }).finally(() =>
    rmSync(datastore, { recursive: true, force: true }),
  );
}

/**
 * Median wall and its run's peak over `n` runs, after one uncounted run: a flow's first run parses
 * its graph and bundles it (then cached, as HelloWorld's first run is), which its later runs skip.
 */
async function repeat(n, once) {
  const first = await once();
  const runs = [];
  for (let i = 0; i < n; i++) runs.push(await once());
  const mid = median(runs.map((r) => r.seconds));
  return { seconds: mid, peakMiB: Math.max(...runs.map((r) => r.peakMiB)), all: runs.map((r) => r.seconds), first: first.seconds };
}

/**
 * A VM's first touch of memory is several times slower than later ones, and this kind of VM hands
 * memory left free back to its host after a while: touch `mb` once right before a timed run, so
 * that the flow and its floor alike run on warm memory (without it one of three 100 MB runs here
 * took 2 s instead of 0.8 s, and the floor varied as much).
 */
function warmMemory(mb = 1024) {
  execFileSync(process.execPath, [
    "-e",
    `const b = []; for (let i = 0; i < ${Math.ceil(mb / 256)}; i++) b.push(Buffer.alloc(256 * 1024 * 1024, 1)); console.log(b.length)`,
  ]);
}

function metaflowAvailable() {
  try {
    execFileSync("python3", ["-c", "import metaflow"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function metaflowPeer(kind, work) {
  if (!metaflowAvailable()) return { ...METAFLOW_ISSUE[kind], source: "issue 15's figure (Metaflow is not installed here)" };
  const home = mkdtempSync(path.join(work, "mf-"));
  const script = path.join(root, "bench", "metaflow", `${kind}_flow.py`);
  warmMemory();
  const r = await timed("python3", [script, "run"], { METAFLOW_HOME: home, USERNAME: "bench", METAFLOW_DEFAULT_DATASTORE: "local" });
  return { seconds: r.seconds, peakMiB: r.peakMiB, source: "Metaflow, same run" };
}

async function floor(kind) {
  const runs = [];
  for (let i = 0; i < 2; i++) {
    warmMemory();
    runs.push(JSON.parse(execFileSync(process.execPath, [path.join(root, "bench", "floors.mjs"), kind], { encoding: "utf8" })));
  }
  return { seconds: Math.min(...runs.map((r) => r.ms)) / 1000, peakMiB: Math.max(...runs.map((r) => r.peakMiB)) };
}

const s = (x) => `${x.toFixed(2)} s`;
const mib = (x) => `${Math.round(x)} MiB`;

export async function benchData({ gigabyte = true } = {}) {
  const work = mkdtempSync(path.join(os.tmpdir(), "steplab-data-bench-"));
  const results = [];
  const report = (name, value, target, ok) => results.push({ name, value, target, ok });
  try {
    warmMemory(3072);
    // HelloWorld against `node -e 0`, interleaved; the first run parses the graph and fills the caches.
    const helloStore = mkdtempSync(path.join(work, "hello-"));
    const hello = (env = {}) =>
      timed(process.execPath, ["--no-node-snapshot", BIN, HELLO, "run"], { STEPLAB_DATASTORE: helloStore, ...env });
    await hello();
    const helloRuns = [];
    const nodeRuns = [];
    for (let i = 0; i < 5; i++) {
      helloRuns.push((await hello()).seconds);
      nodeRuns.push((await timed(process.execPath, ["-e", "0"])).seconds);
    }
    const helloS = median(helloRuns);
    const nodeS = median(nodeRuns);
    report("HelloWorld run (median of 5)", s(helloS), `<= 4 x node -e 0 (${s(nodeS)}) = ${s(4 * nodeS)}`, helloS <= 4 * nodeS);

    // 1M rows.
    const rowsFloor = await floor("rows");
    const rows = await repeat(3, () => steplab(path.join(FLOWS, "rows.ts"), work));
    const rowsPeer = await metaflowPeer("rows", work);
    const rowsOver = rows.seconds - helloS;
    report(
      `1M rows: flow (median of 3: ${rows.all.map(s).join(", ")}; first run ${s(rows.first)}) minus HelloWorld`,
      s(rowsOver),
      `<= 2.5 x floor (${s(rowsFloor.seconds)}: build + v8.serialize + sha256 + deserialize) = ${s(2.5 * rowsFloor.seconds)}`,
      rowsOver <= 2.5 * rowsFloor.seconds,
    );
    report(
      "1M rows: flow wall",
      s(rows.seconds),
      `<= Metaflow / 3 = ${s(rowsPeer.seconds / 3)} (${rowsPeer.source}: ${s(rowsPeer.seconds)})`,
      rows.seconds <= rowsPeer.seconds / 3,
    );
    report(
      "1M rows: peak RSS",
      mib(rows.peakMiB),
      `<= Metaflow's ${mib(rowsPeer.peakMiB)} (${rowsPeer.source}); floor's ${mib(rowsFloor.peakMiB)}`,
      rows.peakMiB <= rowsPeer.peakMiB,
    );

    // 100 MB.
    const bytesFloor = await floor("bytes");
    const bytes = await repeat(3, () => steplab(path.join(FLOWS, "bytes.ts"), work));
    const bytesPeer = await metaflowPeer("bytes", work);
    const bytesOver = bytes.seconds - helloS;
    report(
      `100 MB: flow (median of 3: ${bytes.all.map(s).join(", ")}; first run ${s(bytes.first)}) minus HelloWorld`,
      s(bytesOver),
      `<= 2.5 x floor (${s(bytesFloor.seconds)}: fill + copy + sha256 + copy) = ${s(2.5 * bytesFloor.seconds)}; ${bytesPeer.source}: ${s(bytesPeer.seconds)}`,
      bytesOver <= 2.5 * bytesFloor.seconds,
    );
    const bytesCap = bytesFloor.peakMiB + (200 * MB) / MiB;
    report(
      "100 MB: peak RSS",
      mib(bytes.peakMiB),
      `<= floor's ${mib(bytesFloor.peakMiB)} + 200 MB = ${mib(bytesCap)}; ${bytesPeer.source}: ${mib(bytesPeer.peakMiB)}`,
      bytes.peakMiB <= bytesCap,
    );

    if (gigabyte) {
      const gig = await steplab(path.join(FLOWS, "gigabyte.ts"), work);
      const cap = 3.5e9 / MiB;
      report(
        "1 GB Uint32Array stored and read: peak RSS",
        `${mib(gig.peakMiB)} (${s(gig.seconds)})`,
        `<= 3.5 GB = ${mib(cap)}`,
        gig.peakMiB <= cap,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = await benchData({ gigabyte: !process.argv.includes("--no-gigabyte") });
  for (const r of results) console.log(`${r.ok ? "PASS" : "FAIL"}  ${r.name}: ${r.value}  (target ${r.target})`);
  console.log(
    `\nmachine: ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}
