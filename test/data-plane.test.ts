/**
 * Large artifacts through real runs: typed arrays moved out of and into isolates, arrays of
 * records as columns, values over the chunk size in chunks, in isolate and process steps alike;
 * what a notebook cell's timer still reads after the cell; and a run that parses nothing.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { watchClientReads } from "../runtime/executor/client-reads.js";
import { createSession } from "../runtime/session/index.js";
import { encode, openLmdbStore, storeReader } from "../store/index.js";
import { BIN, FLOWS, Project } from "./helpers/cli.js";

const project = new Project();
afterAll(() => project.cleanup());

describe("large artifacts through a run", () => {
  it("isolate and process steps store and read typed arrays, records and chunked values exactly, with the same hashes", async () => {
    // 64 KiB chunks: most of these values are stored as several.
    const r = await project.run([path.join(FLOWS, "big-data.ts"), "run"], { env: { STEPLAB_CHUNK_MB: "0.0625" } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const run = project.flow("BigDataFlow").latestRun!;
    const names = ["floats", "view", "whole", "half", "dv", "big64", "small", "table", "named", "nested"];
    expect(run.step("in_process").task.data.processChecks).toEqual(names.map((n) => `${n} ok`));
    expect(run.step("in_isolate").task.data.isolateChecks).toEqual([...names.map((n) => `${n} ok`), ...names.map((n) => `again ${n} ok`)]);

    // Typed arrays and record tables get the same bytes whichever side encodes them: made again in
    // the process step, each is stored under the hash the isolate's copy has. (Other values are
    // copied out of an isolate by structured clone, which may store a string in another width.)
    const made = run.step("start").task.record.artifacts;
    const again = run.step("in_process").task.record.artifacts;
    for (const n of ["floats", "view", "whole", "half", "dv", "big64", "small", "table"])
      expect(again[`${n}Again`]?.sha, n).toBe(made[n]?.sha);
    expect(made.table?.type).toBe("Array");
    expect(made.floats?.type).toBe("Float64Array");
    const store = project.openStore();
    expect(store.blobChildren(made.floats!.sha).length).toBe(1 + Math.ceil(1_600_000 / 65536)); // header, then the array
    expect(store.blobChildren(made.small!.sha)).toEqual([]);

    // The client reads them on the host too.
    const table = run.step("start").task.data.table as { name: string; score: number }[];
    expect(table).toHaveLength(5000);
    expect(table[2]).toEqual({ id: 2, name: "emoji 🎉-2", score: Number.NaN, group: "g2", flag: true });
  });
});

describe("a large value a later step reads", () => {
  it("keeps its blob when handed back unchanged, and is stored anew when changed in place at either end", async () => {
    // 64 KiB chunks: the 2.4 MB array is compared chunk by chunk with the stored one.
    const r = await project.run([path.join(FLOWS, "read-back.ts"), "run"], { env: { STEPLAB_CHUNK_MB: "0.0625" } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const run = project.flow("ReadBackFlow").latestRun!;
    const sha = (step: string, name: string) => run.step(step).task.record.artifacts[name]?.sha;
    expect(sha("read", "big")).toBe(sha("start", "big"));
    expect(sha("read", "rows")).toBe(sha("start", "rows"));
    expect(sha("change_first", "big")).not.toBe(sha("start", "big"));
    expect(sha("change_last", "big")).not.toBe(sha("change_first", "big"));
    expect(run.step("read").task.data.sum).toBe((299_999 * 300_000) / 2 + 5000);
    expect(run.step("end").task.data.first).toBe(42);
    expect(run.step("end").task.data.last).toBe(-1);
    const firstChanged = run.step("change_first").task.data.big as Float64Array;
    expect([firstChanged[0], firstChanged[299_999]]).toEqual([42, 299_999]);
    const unchanged = run.step("read").task.data.big as Float64Array;
    expect([unchanged[0], unchanged[299_999]]).toEqual([0, 299_999]);
  });
});

describe("a task's reader", () => {
  it("keeps every StoreReader method, so a step's reads take the store's own paths (sameBlob: a compare, not a hash)", async () => {
    const store = openLmdbStore(mkdtempSync(path.join(os.tmpdir(), "steplab-reader-")), { chunkBytes: 64 * 1024 });
    try {
      const big = encode(new Float64Array(100_000).map((_, i) => i));
      await store.commitTask({
        task: {
          flow: "F",
          runId: "1",
          step: "start",
          taskId: "1",
          status: "succeeded",
          attempt: 0,
          artifacts: {},
          stack: [],
          inputs: [],
          startedAt: 0,
        },
        blobs: new Map([[big.sha, big.parts]]),
      });
      const reader = storeReader(store);
      let clientReads = 0;
      const watched = watchClientReads(reader, () => clientReads++);
      expect(Object.keys(watched).sort()).toEqual(Object.keys(reader).sort());
      expect(watched.sameBlob?.(big.sha, big.parts)).toBe(true);
      expect(clientReads).toBe(0);
    } finally {
      await store.close();
    }
  });
});

describe("a notebook cell", () => {
  it("a timer still pending when the cell ends reads the array the cell stored", async () => {
    const dir = project.dir;
    const session = await createSession({ storeRoot: path.join(dir, "session-store"), cwd: dir, flowName: "TimerFlow" });
    try {
      const out: string[] = [];
      const sink = { stdout: (t: string) => void out.push(t), stderr: () => {}, display: () => {}, clearOutput: () => {} };
      const cell = `//% step start
self.big = new Float64Array(100_000).fill(2);
setTimeout(() => console.log("later", self.big.length, self.big[99_999]), 30);`;
      const outcome = await session.execute(cell, { sink });
      expect(outcome.error).toBeUndefined();
      await new Promise((res) => setTimeout(res, 300));
      expect(out.join("")).toContain("later 100000 2");
      const next = await session.execute("//% step after\nconsole.log('read', self.big.length, self.big[0])", { sink });
      expect(next.error).toBeUndefined();
      expect(out.join("")).toContain("read 100000 2");
    } finally {
      await session.close();
    }
  });
});

describe("start-up", () => {
  it("a run of a flow whose graph is cached loads neither the TypeScript compiler nor the AWS SDK", async () => {
    const flow = project.fixture("hello-world.ts");
    expect((await project.run([flow, "run"])).code).toBe(0); // parses the graph once
    // A preloaded probe lists, at exit, the CommonJS modules the process loaded.
    const probe = project.write(
      "probe.cjs",
      `process.on("exit", () => { for (const f of Object.keys(require.cache)) if (/node_modules\\/(typescript|@aws-sdk)\\//.test(f)) process.stderr.write("LOADED " + f + "\\n"); });`,
    );
    const r = spawnSync(process.execPath, ["--no-node-snapshot", "-r", probe, BIN, flow, "run"], {
      cwd: project.dir,
      env: project.env(),
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("HelloFlow is all done.");
    expect(r.stderr).not.toContain("LOADED");
  });
});
