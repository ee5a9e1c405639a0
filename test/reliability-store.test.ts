/**
 * A damaged or full datastore is named, never a silent crash: a data.mdb cut short or with a
 * garbled header is refused before it is mapped (no SIGBUS/SIGSEGV), a damaged blob is an error
 * naming the store, run and artifact, and a new run storing the same value replaces it; a full
 * disk ends the run with a disk-full message and `Workflow failed.` (a real tmpfs, mounted here).
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync, openSync, writeSync, closeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { lmdb } from "../store/lmdb-module.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../store/index.js";
import { Project, runIdOf } from "./helpers/cli.js";

let project: Project;
beforeAll(() => {
  project = new Project();
});
afterAll(async () => {
  await project.cleanup();
});

const FLOW = `import { FlowSpec, step } from "steplab";
export class KeepFlow extends FlowSpec {
  declare data: number[];
  @step start() { this.data = Array.from({ length: 100000 }, (_, i) => i % 977); this.next(this.end); }
  @step end() { console.log("sum", this.data.reduce((a, b) => a + b, 0)); }
}
`;

/** A datastore with one finished run of KeepFlow, copied fresh for each test. */
let pristine: string;
beforeAll(async () => {
  project.write("keep.ts", FLOW);
  const result = await project.run(["keep.ts", "run"]);
  expect(result.code).toBe(0);
  pristine = path.join(project.dir, "pristine");
  cpSync(project.datastore, pristine, { recursive: true });
});

function damaged(name: string, damage: (dataFile: string) => void): string {
  const root = path.join(project.dir, name);
  cpSync(pristine, root, { recursive: true });
  damage(path.join(root, "data.mdb"));
  return root;
}

function overwrite(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, "r+");
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

describe("a damaged data.mdb", () => {
  const cases: [string, (file: string) => void, RegExp][] = [
    ["cut to a third", (f) => truncateSync(f, Math.floor(statSync(f).size / 3)), /the file was cut short/],
    ["with a garbled header", (f) => overwrite(f, 24, Buffer.from([0xff, 0xff, 0xff, 0x7f])), /not an LMDB header/],
    ["with a garbled page size", (f) => overwrite(f, 48, Buffer.from([0xff, 0xff, 0xff, 0x7f])), /impossible page size/],
  ];
  for (const [what, damage, problem] of cases) {
    it(`${what}: every command says the store is damaged and exits 1, without a signal`, async () => {
      const root = damaged(what.replace(/\W+/g, "-"), damage);
      for (const args of [["runs"], ["keep.ts", "run"], ["keep.ts", "dump", "1/start"]]) {
        const result = await project.run(args, { env: { STEPLAB_DATASTORE: root } });
        expect(result.signal).toBeNull();
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`the steplab datastore at ${root} is damaged`);
        expect(result.stderr).toMatch(problem);
      }
    });
  }
});

describe("a data.mdb another process is creating", () => {
  it("is waited for a moment, not called damaged", async () => {
    // A second process opening the store while the first writes its header sees a file cut short
    // for a few milliseconds (two processes starting on a fresh store, process steps' children).
    const root = path.join(project.dir, "being-created");
    cpSync(pristine, root, { recursive: true });
    const whole = path.join(project.dir, "whole-data.mdb");
    cpSync(path.join(root, "data.mdb"), whole);
    truncateSync(path.join(root, "data.mdb"), 100);
    const writer = spawn(
      process.execPath,
      [
        "-e",
        `process.stdout.write("ready\\n"); setTimeout(() => require("fs").copyFileSync(${JSON.stringify(whole)}, ${JSON.stringify(path.join(root, "data.mdb"))}), 60)`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve) => writer.stdout!.once("data", () => resolve()));
    const store = openStore(root);
    try {
      expect(store.listRuns("KeepFlow")).toHaveLength(1);
    } finally {
      await store.close();
      writer.kill();
    }
  });
});

describe("a damaged blob", () => {
  /** Flips bytes inside the stored form of every blob (as a disk or a bad copy would). */
  function garbleBlobs(root: string): void {
    const env = lmdb.open({ path: root, maxDbs: 16 });
    const blobs = env.openDB<Buffer, string>("blobs", { encoding: "binary" });
    for (const { key, value } of blobs.getRange({})) {
      const bad = Buffer.from(value);
      for (let i = Math.floor(bad.length / 2); i < Math.min(bad.length, Math.floor(bad.length / 2) + 16); i++) bad[i]! ^= 0x5a;
      blobs.putSync(key, bad);
    }
    env.close();
  }

  it("is an error naming the store, the run and the artifact; a new run storing the same value repairs it", async () => {
    const root = damaged("garbled-blob", () => undefined);
    garbleBlobs(root);
    const env = { STEPLAB_DATASTORE: root };
    const runs = await project.run(["runs", "KeepFlow"], { env });
    const runId = /KeepFlow\/(\d+)/.exec(runs.stdout)![1]!;

    const dump = await project.run(["keep.ts", "dump", `${runId}/start`, "--max-value-size", "100000000"], { env });
    expect(dump.signal).toBeNull();
    expect(dump.code).toBe(1);
    expect(dump.stderr).toContain(`in the steplab datastore at ${root} is damaged`);
    expect(dump.stderr).toContain(`artifact 'data' of KeepFlow/${runId}/start/1`);

    // The same value stored again: dedup must not reuse the damaged copy.
    const again = await project.run(["keep.ts", "run"], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("sum ");
    const repaired = await project.run(["keep.ts", "dump", `${runId}/start`, "--max-value-size", "100000000"], { env });
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toMatch(/^data \[size: \d+ type: Array\] = \[\s+0,\s+1,\s+2,/m);
    expect(runIdOf(again.stdout)).not.toBe(runId);
  });
});

/** A small tmpfs of our own: the machine lets root mount one (in a VM, or a container with CAP_SYS_ADMIN). */
function mountTmpfs(dir: string, size: string): void {
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" });
}

function unmount(dir: string): void {
  try {
    execFileSync("umount", [dir], { stdio: "ignore" });
  } catch {
    execFileSync("umount", ["-l", dir], { stdio: "ignore" }); // still busy for a moment: detach it now
  }
}

describe("a full disk", () => {
  const canMount = process.platform === "linux" && process.getuid?.() === 0;
  if (!canMount && process.env.CI === "true") throw new Error("CI must run the full-disk tests, which mount a tmpfs as root");
  let mountpoint: string;
  let mounted = false;
  beforeAll(() => {
    mountpoint = mkdtempSync(path.join(os.tmpdir(), "steplab-full-"));
    mountTmpfs(mountpoint, "8m");
    mounted = true;
  });
  afterAll(() => {
    if (mounted) unmount(mountpoint);
    rmSync(mountpoint, { recursive: true, force: true });
  });

  it.skipIf(!canMount)("ends the run with a disk-full message and Workflow failed., no lmdb stack", async () => {
    project.write(
      "big.ts",
      `import { FlowSpec, step } from "steplab";
export class BigFlow extends FlowSpec {
  declare data: Float64Array;
  @step start() { this.data = new Float64Array(2_000_000).map(() => Math.random()); this.next(this.end); }
  @step end() {}
}
`,
    );
    const root = path.join(mountpoint, "datastore");
    const result = await project.run(["big.ts", "run"], { env: { STEPLAB_DATASTORE: root } });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`StoreFullError: the disk holding the steplab datastore at ${root} is full`);
    expect(result.stdout).toContain("Workflow failed.");
    const all = result.stdout + result.stderr;
    expect(all).not.toMatch(/Commit failed|commitError|lmdb\/write\.js|Input\/output error|No space left on device position/);

    // What was there before is intact, and the store works again once there is room.
    writeFileSync(path.join(mountpoint, "note"), "");
    const small = await project.run(["keep.ts", "run"], { env: { STEPLAB_DATASTORE: root } });
    expect(small.code).toBe(0);
  });

  it.skipIf(!canMount)("a disk filled to the last byte: the next run says so, without a crash", async () => {
    const root = path.join(mountpoint, "datastore");
    const filler = path.join(mountpoint, "filler");
    try {
      execFileSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=64k"], { stdio: "ignore" });
    } catch {
      // dd stops with "No space left on device": that is the point
    }
    const result = await project.run(["keep.ts", "run"], { env: { STEPLAB_DATASTORE: root } });
    rmSync(filler);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain(`the disk holding the steplab datastore at ${root} is full`);
    expect(result.stdout + result.stderr).not.toMatch(/Commit failed|lmdb\/write\.js|No space left on device position/);
  });
});
