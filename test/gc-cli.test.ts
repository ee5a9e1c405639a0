/**
 * `steplab gc` and `steplab runs` as a user types them, through the real command over a real LMDB
 * datastore: dry run, keep-last, sizes, the space coming back with --compact, a run in progress
 * while gc deletes the runs whose blobs it reuses, a run killed with kill -9, tags, usage errors,
 * and a full disk (a tmpfs of its own), where gc is how the space comes back.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statfsSync, statSync, truncateSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Project, runIdOf, TASK_LINE } from "./helpers/cli.js";

const projects: Project[] = [];
afterAll(async () => {
  for (const p of projects) await p.cleanup();
});

function project(): { p: Project; flow: string } {
  const p = new Project();
  projects.push(p);
  return { p, flow: p.fixture("gc-data.ts") };
}

async function runOk(p: Project, flow: string, args: string[]): Promise<string> {
  const r = await p.run([flow, "run", ...args]);
  expect(r.stdout).toContain("Done!");
  expect(r.code).toBe(0);
  return runIdOf(r.stdout);
}

const dataFile = (p: Project) => statSync(path.join(p.datastore, "data.mdb")).size;

/** Resolves with the child's stdout once `pattern` appears in it. */
function waitFor(child: ReturnType<Project["spawn"]>, pattern: RegExp): Promise<string> {
  let out = "";
  return new Promise((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (t: string) => {
      out += t;
      if (pattern.test(out)) resolve(out);
    });
    child.on("exit", (code) => reject(new Error(`exited (${code}) before ${pattern}:\n${out}`)));
  });
}

// Each test runs the command several times; on a loaded machine one takes seconds.
describe("steplab gc", { timeout: 240_000 }, () => {
  it("a dry run shows what would go; keep-last deletes it and prints runs, tasks and bytes; --compact shrinks the file", async () => {
    const { p, flow } = project();
    const ids = [await runOk(p, flow, ["--seed", "1"]), await runOk(p, flow, ["--seed", "2"]), await runOk(p, flow, ["--seed", "3"])];

    const runs = await p.run(["runs", "GcDataFlow"]);
    expect(runs.stdout.split("\n")[0]).toMatch(/^RUN\s+STATUS\s+DURATION\s+STARTED\s+SIZE\s+TAGS/);
    for (const id of ids) expect(runs.stdout).toMatch(new RegExp(`GcDataFlow/${id}\\s+succeeded.*\\s262 kB\\s`));

    const dry = await p.run(["gc", "GcDataFlow", "--keep-last", "1", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("Would delete 2 runs (6 tasks):");
    expect(dry.stdout).toMatch(new RegExp(`  GcDataFlow/${ids[0]}  succeeded  started .*  262 kB\\n  GcDataFlow/${ids[1]}  `));
    // Each run's own 256 KiB array and its seed parameter.
    expect(dry.stdout).toMatch(/Would delete 4 artifact blobs: 524 kB \(524,\d{3} bytes\) would be freed\./);
    expect(dry.stdout).toContain("Nothing was changed (--dry-run).");
    expect((await p.run(["runs", "GcDataFlow"])).stdout.trim().split("\n")).toHaveLength(4);

    const before = dataFile(p);
    const real = await p.run(["gc", "GcDataFlow", "--keep-last", "1"]);
    expect(real.code).toBe(0);
    expect(real.stdout).toContain("Deleted 2 runs (6 tasks):");
    expect(real.stdout).toMatch(/Deleted 4 artifact blobs: 524 kB \(524,\d{3} bytes\) freed\./);
    expect(real.stdout).toContain("`steplab gc --compact` returns it to the disk");
    const left = (await p.run(["runs", "GcDataFlow"])).stdout.trim().split("\n");
    expect(left).toHaveLength(2);
    expect(left[1]).toContain(`GcDataFlow/${ids[2]}`);
    expect(dataFile(p)).toBeGreaterThanOrEqual(before); // LMDB keeps freed pages for reuse

    const compact = await p.run(["gc", "--compact"]);
    expect(compact.stderr).toBe("");
    expect(compact.stdout).toMatch(
      /^Compacted .*datastore: [\d.]+ [kM]B -> [\d.]+ [kM]B; [\d.]+ [kM]B \([\d,]+ bytes\) returned to the disk\.\n$/,
    );
    expect(before - dataFile(p)).toBeGreaterThan(500_000);

    // The compacted store is whole: the kept run reads back, and a new run writes and reads.
    const kept = p.flow("GcDataFlow").latestRun!;
    expect(kept.id).toBe(ids[2]);
    expect((kept.step("start").task.data.own as Uint8Array).length).toBe(256 * 1024);
    const next = await runOk(p, flow, ["--seed", "4"]);
    const dump = await p.run([flow, "dump", `${next}/wait`]);
    expect(dump.stdout).toContain("later [size: ");
    expect(dump.code).toBe(0);
  });

  it("keeps a run in progress whole while deleting the runs whose blobs it reuses; it finishes; --compact waits for it", async () => {
    const { p, flow } = project();
    const old = [await runOk(p, flow, ["--seed", "1"]), await runOk(p, flow, ["--seed", "2"])];
    const gate = path.join(p.dir, "go-on");
    const child = p.spawn([flow, "run", "--seed", "3", "--gate", gate]);
    const started = await waitFor(child, /\/wait\/\d+ \(pid \d+\)\] Task is starting\./);
    const liveId = runIdOf(started);
    const finished = new Promise<number | null>((resolve) => child.on("exit", resolve));

    // Named, so even the latest successful run goes: nothing but the run in progress refers to
    // `shared` and `later` any more, and `later` is set again by its step after gc has deleted it.
    const gc = await p.run(["gc", `GcDataFlow/${old[0]}`, `GcDataFlow/${old[1]}`, `GcDataFlow/${liveId}`]);
    expect(gc.code).toBe(0);
    expect(gc.stdout).toContain("Deleted 2 runs (6 tasks):");
    expect(gc.stdout).toContain(`Kept GcDataFlow/${liveId}: in progress (pid ${child.pid})`);
    // The old runs' own arrays, their seeds, their `gate` value ("" where this run has a path), and `later`.
    expect(gc.stdout).toMatch(/Deleted 6 artifact blobs/);

    const compact = await p.run(["gc", "--compact"]);
    expect(compact.code).toBe(1);
    expect(compact.stderr).toContain("Error: cannot compact: the datastore is open in pid ");
    expect(compact.stderr).toContain(`pid ${child.pid} (`);
    expect(compact.stderr).toContain("run `steplab gc --compact` again");

    writeFileSync(gate, "");
    expect(await finished).toBe(0);
    const run = p.flow("GcDataFlow").latestRun!;
    expect(run.id).toBe(liveId);
    expect(run.successful).toBe(true);
    expect(run.step("wait").task.data.later).toBe("the same in every run");
    expect(run.step("end").task.data.shared).toEqual([1, 2, 3]);
    expect((run.step("end").task.data.own as Uint8Array).length).toBe(256 * 1024);
    expect(p.flow("GcDataFlow").runs.map((r) => r.id)).toEqual([liveId]);
  });

  it("spares runs tagged keep or --keep-tag and the latest successful run, and says why", async () => {
    const { p, flow } = project();
    const kept = await runOk(p, flow, ["--seed", "1", "--tag", "keep"]);
    const paper = await runOk(p, flow, ["--seed", "2", "--tag", "paper"]);
    const plain = await runOk(p, flow, ["--seed", "3"]);
    const latest = await runOk(p, flow, ["--seed", "4"]);
    const r = await p.run(["gc", "--keep-last", "0", "--keep-tag", "paper"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Deleted 1 run (3 tasks):\n  GcDataFlow/${plain}  succeeded`);
    expect(r.stdout).toContain(`Kept GcDataFlow/${kept}: tagged keep`);
    expect(r.stdout).toContain(`Kept GcDataFlow/${paper}: tagged paper`);
    expect(r.stdout).toContain(`Kept GcDataFlow/${latest}: the latest successful run of its flow (name it to delete it)`);
  });

  it("says what to type on bad input (exit 2), and names an unknown flow (exit 1)", async () => {
    const { p, flow } = project();
    await runOk(p, flow, []);
    const cases: [string[], number, string][] = [
      [["gc"], 2, "gc needs --keep-last N or --older-than DURATION (or --compact)"],
      [["gc", "--older-than", "soon"], 2, "Invalid value for --older-than: 'soon' is not a duration; write it as 30d, 12h, 90m or 1d12h"],
      [["gc", "--older-than", "30"], 2, "'30' is not a duration"],
      [["gc", "--keep-last", "-1"], 2, "Invalid value for --keep-last: '-1' is not a number of runs (0 or more)"],
      [["gc", "--compact", "--dry-run"], 2, "--dry-run shows what gc would delete; run --compact on its own"],
      [["gc", "GcDataFlow/1", "--keep-last", "1"], 2, "Name runs (FLOW/RUN_ID) or give --keep-last / --older-than, not both"],
      [["gc", "--keep", "1"], 2, "No such option: --keep. Options of gc: --keep-last, --older-than"],
      [["gc", "Nope", "--keep-last", "1"], 1, "Flow 'Nope' has no runs in"],
      [["gc", "GcDataFlow/404"], 1, "Run 'GcDataFlow/404' is not in the datastore"],
    ];
    const results = await Promise.all(cases.map(([args]) => p.run(args)));
    cases.forEach(([args, code, message], i) => {
      expect({ args, code: results[i]!.code, out: results[i]!.stderr }).toMatchObject({ code, out: expect.stringContaining(message) });
    });
    const help = await p.run(["gc", "--help"]);
    expect(help.stdout).toContain(
      "Usage: steplab gc [FLOW | FLOW/RUN ...] (--keep-last N | --older-than DURATION) [--keep-tag T] [--dry-run]",
    );
  });

  it("a run killed with kill -9 shows as killed and goes like any finished run", async () => {
    const { p, flow } = project();
    const ok = await runOk(p, flow, ["--seed", "1", "--kb", "16"]);
    const child = p.spawn([flow, "run", "--seed", "2", "--kb", "16", "--gate", path.join(p.dir, "never")]);
    const started = await waitFor(child, /\/wait\/\d+ \(pid \d+\)\] Task is starting\./);
    const killed = runIdOf(started);
    const stepPid = Number(
      started
        .split("\n")
        .map((l) => TASK_LINE.exec(l))
        .find((m) => m?.[3] === "wait")![5],
    );
    const exited = new Promise((resolve) => child.on("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    // The step's own process (isolation: process) goes with its parent; if it lingers, it goes now.
    try {
      process.kill(stepPid, "SIGKILL");
    } catch {}

    const runs = await p.run(["runs", "GcDataFlow"]);
    expect(runs.stdout).toMatch(new RegExp(`GcDataFlow/${killed}\\s+killed\\s+-\\s`));
    const gc = await p.run(["gc", "GcDataFlow", "--keep-last", "0"]);
    expect(gc.code).toBe(0);
    // Its start task, and its wait task's running record if that was written before the kill.
    expect(gc.stdout).toMatch(new RegExp(`Deleted 1 run \\([12] tasks?\\):\\n  GcDataFlow/${killed}  killed  started `));
    expect(gc.stdout).toContain(`Kept GcDataFlow/${ok}: the latest successful run of its flow`);
    expect(p.flow("GcDataFlow").runs.map((r) => r.id)).toEqual([ok]);
  });

  describe("on a full disk", () => {
    const canMount = process.platform === "linux" && process.getuid?.() === 0;
    if (!canMount && process.env.CI === "true") throw new Error("CI must run the full-disk tests, which mount a tmpfs as root");

    it.skipIf(!canMount)(
      "filled to the last byte: gc and --compact say what room they need; with a megabyte, gc deletes and --compact gives the space back",
      async () => {
        const { p, flow } = project();
        const disk = mkdtempSync(path.join(os.tmpdir(), "steplab-gc-full-"));
        execFileSync("mount", ["-t", "tmpfs", "-o", "size=24m", "tmpfs", disk], { stdio: "ignore" });
        try {
          const env = { STEPLAB_DATASTORE: path.join(disk, "datastore") };
          const run = (args: string[]) => p.run(args, { env });
          for (const seed of [1, 2, 3]) expect((await run([flow, "run", "--seed", String(seed), "--kb", "4096"])).code).toBe(0);
          const kept = runIdOf((await run([flow, "run", "--seed", "4", "--kb", "16"])).stdout);
          // Fill the disk to the last byte: no run has room for its artifacts any more.
          const filler = path.join(disk, "filler");
          try {
            execFileSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=64k"], { stdio: "ignore" });
          } catch {
            // dd stops with "No space left on device": that is the point
          }
          const refused = await run([flow, "run", "--seed", "5", "--kb", "1024"]);
          expect(refused.code).toBe(1);
          const said = refused.stdout + refused.stderr;
          expect(said).toContain("is full");
          expect(said).toContain("`npx steplab gc --keep-last N` deletes old runs, then `npx steplab gc --compact`");

          // Deleting takes a few pages beyond what LMDB can reuse inside its file: gc says what to do.
          const noRoom = await run(["gc", "GcDataFlow", "--keep-last", "1"]);
          expect(noRoom.code).toBe(1);
          expect(noRoom.stderr).toContain("is full (0 KB free): gc could not write the deletion of run GcDataFlow/");
          expect(noRoom.stderr).toContain("free that much elsewhere on the disk and run gc again");
          expect(noRoom.stderr).not.toContain("npx steplab gc --keep-last N");
          expect(noRoom.stderr).not.toMatch(/Write error|lmdb\/write\.js|at .*node_modules/);
          // Compacting writes a copy of what is left: it says what it takes, and changes nothing.
          const stuck = await run(["gc", "--compact"]);
          expect(stuck.code).toBe(1);
          expect(stuck.stderr).toMatch(/cannot compact the steplab datastore at .*: the disk is full, .* Nothing changed\./);
          expect((await run(["runs", "GcDataFlow"])).stdout.trim().split("\n")).toHaveLength(5);

          // A megabyte freed elsewhere: still no room for a run, but room enough for gc, which frees the rest.
          truncateSync(filler, statSync(filler).size - 2 ** 20);
          const gc = await run(["gc", "GcDataFlow", "--keep-last", "1"]);
          expect(gc.stderr).toBe("");
          expect(gc.stdout).toContain("Deleted 3 runs (9 tasks):");
          expect(gc.stdout).toMatch(/Deleted 7 artifact blobs: 12\.6 MB/);
          const compact = await run(["gc", "--compact"]);
          expect(compact.stderr).toBe("");
          expect(compact.stdout).toMatch(/returned to the disk\.\n$/);
          expect(Number(statfsSync(disk).bavail) * Number(statfsSync(disk).bsize)).toBeGreaterThan(12 * 2 ** 20);

          const next = await run([flow, "run", "--seed", "5", "--kb", "1024"]);
          expect(next.stdout).toContain("Done!");
          const left = (await run(["runs", "GcDataFlow"])).stdout;
          expect(left).toContain(`GcDataFlow/${kept}`);
          expect(left.trim().split("\n")).toHaveLength(3);
        } finally {
          try {
            execFileSync("umount", [disk], { stdio: "ignore" });
          } catch {
            execFileSync("umount", ["-l", disk], { stdio: "ignore" });
          }
          rmSync(disk, { recursive: true, force: true });
        }
      },
    );
  });
});
