/**
 * `run --cache` benchmark, every figure beside the run it is compared with, measured in the same
 * call (the machine may be shared: compare within one run, never across runs):
 *
 *   1. the 1000-task WideForeachFlow run whole with --cache, then again after changing only `end`:
 *      wall <= 50% of the whole run (aim: close to a HelloWorld run), 1002 tasks reused, end run;
 *   2. after changing `work` so that it returns the same values: work runs, join and end reused;
 *   3. computing the keys: a --cache run that reuses nothing (a fresh datastore) against the same
 *      run with the cache off (--cache false), each right after an edit of the flow (so the cached
 *      run also fingerprints the new code), medians of N pairs: <= 5% more.
 *
 *   npm run build && node --no-node-snapshot bench/cache.bench.mjs [PAIRS]     (PAIRS: 5)
 *
 * Every run is the real command (node --no-node-snapshot bin/steplab.js) in a temp directory.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runSteplab } from "./steplab-process.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const HELLO = path.join(root, "test", "fixtures", "flows", "hello-world.ts");
const PAIRS = Number(process.argv[2] ?? 5);
const WIDE = ["run", "--width", "1000", "--max-num-splits", "1000", "--max-workers", "16"];

// STEPLAB_CACHE emptied: each figure says itself whether it caches.
const steplab = (args, cwd, datastore) => runSteplab(args, { cwd, datastore, env: { STEPLAB_CACHE: "" } });

/** Tasks that ran and tasks reused, by step. */
function tally(stdout) {
  const ran = {};
  const reused = {};
  for (const m of stdout.matchAll(/\[\d+\/(\w+)\/\d+ \(pid \d+\)\] (.*)/g)) {
    if (m[2] === "Task is starting.") ran[m[1]] = (ran[m[1]] ?? 0) + 1;
    if (m[2].startsWith("Reused results of task")) reused[m[1]] = (reused[m[1]] ?? 0) + 1;
  }
  return { ran, reused, reusedCount: Object.values(reused).reduce((a, b) => a + b, 0) };
}

/** Seconds from `Workflow starting` to `Done!` (the tasks' part of a run, without start-up and bundling). */
function tasksPhase(stdout) {
  const at = (text) => {
    const line = stdout.split("\n").find((l) => l.includes(text));
    return line ? new Date(line.slice(0, 23).replace(" ", "T")).getTime() : Number.NaN;
  };
  return (at("Done!") - at("Workflow starting")) / 1000;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = (x) => `${x.toFixed(2)} s`;
let failures = 0;
function verdict(ok) {
  if (!ok) failures++;
  return ok ? "PASS" : "FAIL";
}

const work = mkdtempSync(path.join(os.tmpdir(), "steplab-cache-bench-"));
const flow = path.join(work, "wide_foreach.ts");
copyFileSync(path.join(root, "notebooks", "examples", "wide_foreach.ts"), flow);
const edit = (from, to) => {
  const text = readFileSync(flow, "utf8");
  if (!text.includes(from)) throw new Error(`'${from}' is not in the flow`);
  writeFileSync(flow, text.replace(from, to));
};
let datastores = 0;
const fresh = () => path.join(work, `datastore-${++datastores}`);

try {
  console.log(
    `load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} (${os.cpus().length} cores)`,
  );
  // Warm-up: the flow's graph and bundle caches, and HelloWorld's.
  await steplab([HELLO, "run"], work, fresh());
  const hello = await steplab([HELLO, "run"], work, fresh());

  // 1. Only `end` changed.
  const store = fresh();
  await steplab([flow, ...WIDE, "--cache", "false"], work, fresh());
  const whole = await steplab([flow, ...WIDE, "--cache"], work, store);
  edit('console.log("total", this.total);', 'console.log("the total is", this.total);');
  const endOnly = await steplab([flow, ...WIDE, "--cache"], work, store);
  const e = tally(endOnly.stdout);
  const endOk = endOnly.seconds <= whole.seconds * 0.5 && e.reusedCount === 1002 && e.ran.end === 1 && Object.keys(e.ran).length === 1;
  console.log(
    `${verdict(endOk)}  only end changed: ${s(endOnly.seconds)} against the whole --cache run's ${s(whole.seconds)} ` +
      `(${((endOnly.seconds / whole.seconds) * 100).toFixed(0)}%; target <= 50%; a HelloWorld run here: ${s(hello.seconds)}); ` +
      `reused ${e.reusedCount} tasks (target 1002), ran ${JSON.stringify(e.ran)} (target {"end":1})`,
  );
  console.log(
    `info  from "Workflow starting" to "Done!": ${s(tasksPhase(endOnly.stdout))} reusing 1002 tasks and running end, ` +
      `${s(tasksPhase(whole.stdout))} running all 1003 (the rest of each wall is start-up, and bundling the edited file)`,
  );

  // 2. `work` changed, same values.
  edit("this.squared = (this.input as number) ** 2;", "this.squared = (this.input as number) * (this.input as number);");
  const same = await steplab([flow, ...WIDE, "--cache"], work, store);
  const w = tally(same.stdout);
  const sameOk = w.ran.work === 1000 && !w.ran.join && !w.ran.end && w.reused.join === 1 && w.reused.end === 1;
  console.log(
    `${verdict(sameOk)}  work changed, same values: ran ${JSON.stringify(w.ran)}, reused ${JSON.stringify(w.reused)} ` +
      `(target: work 1000 ran, join and end reused); ${s(same.seconds)}`,
  );

  // 3. The cost of the keys: a --cache run that reuses nothing against the same run with the cache off.
  const off = [];
  const keyed = [];
  const phases = { off: [], keyed: [] };
  for (let i = 0; i < PAIRS; i++) {
    edit(/console\.log\("[^"]*", this\.total\);/.exec(readFileSync(flow, "utf8"))[0], `console.log("total (edit ${i})", this.total);`);
    await steplab([flow, ...WIDE, "--cache", "false"], work, fresh()); // bundles the edited file
    // Alternate the order, so that neither run always goes first after the warm-up.
    const pair = i % 2 === 0 ? ["false", "true"] : ["true", "false"];
    for (const cache of pair) {
      const r = await steplab([flow, ...WIDE, "--cache", cache], work, fresh());
      if (cache === "true" && tally(r.stdout).reusedCount !== 0) throw new Error("a fresh datastore reused tasks");
      (cache === "true" ? keyed : off).push(r.seconds);
      phases[cache === "true" ? "keyed" : "off"].push(tasksPhase(r.stdout));
    }
  }
  const overhead = median(keyed) / median(off) - 1;
  console.log(
    `${verdict(overhead <= 0.05)}  keys: a --cache run reusing nothing ${s(median(keyed))} against --cache false ${s(median(off))} ` +
      `(medians of ${PAIRS}: ${keyed.map((x) => x.toFixed(2)).join(", ")} / ${off.map((x) => x.toFixed(2)).join(", ")}): ` +
      `${(overhead * 100).toFixed(1)}% (target <= 5%)`,
  );
  console.log(
    `info  keys, "Workflow starting" to "Done!" only: ${s(median(phases.keyed))} against ${s(median(phases.off))} ` +
      `(${((median(phases.keyed) / median(phases.off) - 1) * 100).toFixed(1)}%)`,
  );
  console.log(
    `load average at end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  process.exitCode = failures ? 1 : 0;
} finally {
  rmSync(work, { recursive: true, force: true });
}
