/**
 * `npm run bench`: builds the package, then prints each figure beside its target with PASS/FAIL.
 *
 *   - HelloWorld `run` wall time (median of 5 after one warm-up run)           info (data.mjs: <= 4x `node -e 0`)
 *   - the 1000-task WideForeachFlow with 16 workers, wall time                 target <= 7.5 s
 *   - the same 64 MiB typed array stored by two steps of a flow: store growth  target <= 80 MiB
 *   - a 100 MB artifact written and read back (store bench, and through a flow) info (data.mjs: <= 2.5x its floor)
 *   - issue 15 (bench/data.mjs): HelloWorld against `node -e 0`, 1M rows, 100 MB and 1 GB through
 *     flows, each beside its floor measured in the same run
 *
 * Every flow runs through the real command (node --no-node-snapshot bin/steplab.js) in a temp
 * directory with its own datastore. `npm run bench -- --kernel` also runs bench/kernel.bench.ts;
 * `npm run bench -- --kernel-only` runs only that.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(root, "bin", "steplab.js");
const FLOWS = path.join(root, "bench", "flows");
const HELLO = path.join(root, "test", "fixtures", "flows", "hello-world.ts");
const MiB = 1024 * 1024;

execFileSync(process.execPath, [path.join(root, "scripts", "build.mjs")], { stdio: "inherit" });

/** A TypeScript bench module (bench/*.bench.ts), bundled so plain Node can import it. */
async function importTs(file) {
  const outDir = path.join(root, "node_modules", ".cache", "steplab", "bench");
  mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, `${path.basename(file, ".ts")}-${process.pid}.mjs`);
  await esbuild.build({
    entryPoints: [file],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile,
    logLevel: "error",
  });
  try {
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(outfile, { force: true });
  }
}

function steplab(args, { cwd, datastore }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ["--no-node-snapshot", BIN, ...args], {
      cwd,
      env: { ...process.env, STEPLAB_DATASTORE: datastore, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) reject(new Error(`steplab ${args.join(" ")} exited ${code}\n${stdout}\n${stderr}`));
      else resolve({ seconds, stdout, stderr });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];
function report(name, value, unit, target, ok) {
  results.push({ name, value, unit, target, ok });
  const verdict = ok === undefined ? "info" : ok ? "PASS" : "FAIL";
  console.log(`${verdict.padEnd(4)}  ${name}: ${value} ${unit}  (target ${target})`);
}

const kernelOnly = process.argv.includes("--kernel-only");
const work = mkdtempSync(path.join(os.tmpdir(), "steplab-bench-"));
try {
  const project = { cwd: work, datastore: path.join(work, "datastore") };

  if (!kernelOnly) {
    // HelloWorld: the first run fills the content caches (parsed graph, prelude); then 5 timed runs.
    const cold = await steplab([HELLO, "run"], project);
    const warm = [];
    for (let i = 0; i < 5; i++) warm.push((await steplab([HELLO, "run"], project)).seconds);
    // The target is issue 15's, against `node -e 0` in the same call (bench/data.mjs); this is the plain figure.
    report("HelloWorld run, wall (median of 5)", median(warm).toFixed(2), "s", "info");
    report("HelloWorld run, wall, first run of a new flow file (parses with TypeScript)", cold.seconds.toFixed(2), "s", "info");

    // 1000-task foreach, 16 workers.
    const wide = await steplab(
      [
        path.join(root, "notebooks", "examples", "wide_foreach.ts"),
        "run",
        "--width",
        "1000",
        "--max-num-splits",
        "1000",
        "--max-workers",
        "16",
      ],
      project,
    );
    report("WideForeachFlow, 1000 tasks, 16 workers, wall", wide.seconds.toFixed(2), "s", "<= 7.5 s (Metaflow 736 s)", wide.seconds <= 7.5);

    // The same 64 MiB array stored by two steps: growth of the datastore's file.
    const growthStore = { cwd: work, datastore: path.join(work, "growth") };
    await steplab([HELLO, "run"], growthStore); // the databases exist before the first reading
    const before = statSync(path.join(growthStore.datastore, "data.mdb")).size;
    await steplab([path.join(FLOWS, "same-64mib.ts"), "run"], growthStore);
    const grown = (statSync(path.join(growthStore.datastore, "data.mdb")).size - before) / MiB;
    report("flow: two steps store the same 64 MiB typed array, store growth", grown.toFixed(1), "MiB", "<= 80 MiB", grown <= 80);

    // 100 MB through a flow: time spent storing it in start and loading it in read.
    const big = await steplab([path.join(FLOWS, "big-artifact.ts"), "run"], project);
    const { openStore } = await import(pathToFileURL(path.join(root, "dist", "store", "index.js")).href);
    const store = openStore(project.datastore);
    try {
      const runId = /run-id (\d+)/.exec(big.stdout)[1];
      const start = store.getTask("BigArtifactFlow", runId, "start", "1");
      const read = store.getTask("BigArtifactFlow", runId, "read", "2");
      const { decodeArtifact } = await import(pathToFileURL(path.join(root, "dist", "store", "index.js")).href);
      const generateMs = decodeArtifact(store.getBlob(start.artifacts.generateMs.sha));
      const ms = start.finishedAt - start.startedAt - generateMs + (read.finishedAt - read.startedAt);
      const rate = 100 / (ms / 1000);
      report(
        "flow: 100 MB artifact stored by one task and loaded by the next (end to end, incl. isolate copies)",
        Math.round(rate),
        "MB/s",
        "info (data.mjs holds 100 MB to 2.5x its floor)",
      );
    } finally {
      await store.close();
    }

    const { benchStore } = await importTs(path.join(root, "bench", "store.bench.ts"));
    for (const r of await benchStore()) report(r.name, r.value, r.unit, r.target, r.target === "info" ? undefined : r.ok);

    // Issue 15: start-up and the data plane, each beside its floor (bench/data.mjs).
    const { benchData } = await import(pathToFileURL(path.join(root, "bench", "data.mjs")).href);
    for (const r of await benchData()) report(r.name, r.value, "", r.target, r.ok);
  }

  if (kernelOnly || process.argv.includes("--kernel")) {
    const { benchKernel } = await importTs(path.join(root, "bench", "kernel.bench.ts"));
    for (const r of await benchKernel()) {
      const target = r.ok === undefined ? "info" : `<= ${r.target.toFixed(1)} ${r.unit}`;
      report(r.name, r.value.toFixed(1), r.unit, target, r.ok);
    }
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
process.exitCode = results.some((r) => r.ok === false) ? 1 : 0;
