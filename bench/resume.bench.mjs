/**
 * Resume benchmark: a 1000-task foreach run whose `end` failed is resumed after the fix. Every task
 * before `end` (start, 1000 foreach children, the join) is cloned by reference; the figure is the
 * time from the resumed run's start to its last clone, against a target of well under a second
 * (Metaflow: 18.4 s for the same resume, ≈14 ms per cloned task).
 *
 *   npm run build && node --no-node-snapshot bench/resume.bench.mjs [WIDTH]
 *
 * Runs against dist/ (the built package), in a temporary datastore.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { main } = await import(path.join(root, "dist/cli/main.js"));

const WIDTH = Number(process.argv[2] ?? 1000);
const TARGET_MS = 1000;

const flowSource = (broken) => `
import { FlowSpec, step, type Inputs } from "steplab";

export class ResumeBenchFlow extends FlowSpec {
  declare items: number[];
  declare squared: number;
  declare total: number;

  @step start() {
    this.items = Array.from({ length: ${WIDTH} }, (_, i) => i);
    this.next(this.work, { foreach: "items" });
  }

  @step work() {
    this.squared = (this.input as number) ** 2;
    this.next(this.join);
  }

  @step join(inputs: Inputs<ResumeBenchFlow>) {
    this.total = inputs.reduce((sum, i) => sum + i.squared, 0);
    this.next(this.end);
  }

  @step end() {
    ${broken ? 'throw new Error("end is broken");' : 'console.log("total", this.total);'}
  }
}
`;

/** Runs the CLI in this process, timestamping every console line as it is written. */
async function cli(args, dir) {
  const lines = [];
  let partial = "";
  const io = {
    stdout: (text) => {
      const now = performance.now();
      const parts = (partial + text).split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) lines.push({ at: now, line });
    },
    stderr: () => {},
    env: { ...process.env, STEPLAB_DATASTORE: path.join(dir, ".steplab"), NO_COLOR: "1" },
    cwd: dir,
    isTTY: false,
  };
  const started = performance.now();
  const code = await main(args, io);
  return { code, lines, started, ended: performance.now() };
}

const runIdOf = (result) => /run-id (\d+)/.exec(result.lines.find((l) => l.line.includes("Workflow starting")).line)[1];

const dir = mkdtempSync(path.join(tmpdir(), "steplab-resume-bench-"));
const file = path.join(dir, "resume_bench.ts");
try {
  writeFileSync(file, flowSource(true));
  const first = await cli([file, "run", "--max-num-splits", String(WIDTH)], dir);
  if (first.code !== 1) throw new Error(`the broken run should fail, exited ${first.code}`);
  console.log(`original run (${WIDTH + 3} tasks, end failing): ${((first.ended - first.started) / 1000).toFixed(2)} s`);

  writeFileSync(file, flowSource(false));
  const resumed = await cli([file, "resume", "--max-num-splits", String(WIDTH)], dir);
  if (resumed.code !== 0) throw new Error(`the resume should succeed, exited ${resumed.code}`);
  const starting = resumed.lines.find((l) => l.line.includes("Workflow starting"));
  const clones = resumed.lines.filter((l) => l.line.includes("Cloning results of a previously run task"));
  const reran = resumed.lines.filter((l) => l.line.includes("Task is starting."));
  if (!starting || clones.length !== WIDTH + 2 || reran.length !== 1) {
    throw new Error(`expected ${WIDTH + 2} clones and 1 re-run task, got ${clones.length} and ${reran.length}`);
  }
  const cloningMs = clones.at(-1).at - starting.at;
  const ok = cloningMs < TARGET_MS;
  console.log(
    `resume: cloned ${clones.length} tasks in ${cloningMs.toFixed(0)} ms ` +
      `(${((cloningMs * 1000) / clones.length).toFixed(0)} µs per task; target < ${TARGET_MS} ms) ${ok ? "OK" : "MISSED"}`,
  );
  console.log(`resume command wall time (validate, clone, re-run end): ${((resumed.ended - resumed.started) / 1000).toFixed(2)} s`);

  // Reading the resumed run back with the client API, as a script would (Metaflow here: 0.21 s to
  // iterate 1000 foreach tasks, 2.07 s to load one artifact from each).
  process.env.STEPLAB_DATASTORE = path.join(dir, ".steplab");
  const { Run } = await import(path.join(root, "dist/runtime/index.js"));
  let t = performance.now();
  const tasks = [...Run(`ResumeBenchFlow/${runIdOf(resumed)}`).step("work")];
  const iterateMs = performance.now() - t;
  t = performance.now();
  let sum = 0;
  for (const task of tasks) sum += task.data.squared;
  const loadMs = performance.now() - t;
  if (tasks.length !== WIDTH || sum !== ((WIDTH - 1) * WIDTH * (2 * WIDTH - 1)) / 6) throw new Error("the client read wrong data");
  console.log(
    `client: iterate ${tasks.length} tasks in ${iterateMs.toFixed(0)} ms (Metaflow 210 ms), ` +
      `load one artifact from each in ${loadMs.toFixed(0)} ms (Metaflow 2070 ms)`,
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
