import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildSync } from "esbuild";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError, StoreError } from "../errors/index.js";
import {
  ArtifactEncodeError,
  decodeArtifact,
  encodeArtifact,
  openStore,
  resolveStoreRoot,
  sha256,
  typeName,
  type ArtifactRef,
  type Store,
  type TaskRecord,
} from "../store/index.js";

const tempDirs: string[] = [];
const openStores: Store[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "steplab-store-"));
  tempDirs.push(dir);
  return dir;
}

function freshStore(root = tempDir()): Store {
  const store = openStore(root);
  openStores.push(store);
  return store;
}

afterEach(async () => {
  await Promise.all(openStores.splice(0).map((s) => s.close()));
});

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function roundTrip(value: unknown): unknown {
  return decodeArtifact(encodeArtifact(value));
}

/** Encodes artifacts the way the runtime does: refs for the record, blobs for the commit. */
function artifacts(values: Record<string, unknown>) {
  const refs: Record<string, ArtifactRef> = {};
  const blobs = new Map<string, Uint8Array>();
  for (const [name, value] of Object.entries(values)) {
    const bytes = encodeArtifact(value);
    const sha = sha256(bytes);
    refs[name] = { sha, size: bytes.length, type: typeName(value) };
    blobs.set(sha, bytes);
  }
  return { refs, blobs };
}

function task(flow: string, runId: string, step: string, taskId: string, extra: Partial<TaskRecord> = {}): TaskRecord {
  return {
    flow,
    runId,
    step,
    taskId,
    status: "succeeded",
    attempt: 0,
    artifacts: {},
    stack: [],
    inputs: [],
    startedAt: Date.now(),
    ...extra,
  };
}

/** Byte equality for large typed arrays (toEqual walks them element by element, far too slowly). */
function expectSameArray(actual: unknown, expected: ArrayBufferView): void {
  expect(actual?.constructor).toBe(expected.constructor);
  const a = actual as ArrayBufferView;
  const bytes = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  expect(a.byteLength).toBe(expected.byteLength);
  expect(bytes(a).equals(bytes(expected))).toBe(true);
}

function readArtifact(store: Store, t: TaskRecord, name: string): unknown {
  const ref = t.artifacts[name];
  if (!ref) throw new Error(`no artifact ${name}`);
  return decodeArtifact(store.getBlob(ref.sha));
}

describe("codec", () => {
  it("round-trips every structured-clone type", () => {
    const cyclic: { name: string; self?: unknown } = { name: "loop" };
    cyclic.self = cyclic;
    const back = roundTrip(cyclic) as { name: string; self: unknown };
    expect(back.self).toBe(back);

    const values: unknown[] = [
      42,
      -0.5,
      "text ✓",
      true,
      null,
      undefined,
      12345678901234567890n,
      [1, "two", [3]],
      { nested: { deep: [1, 2, { x: "y" }] } },
      new Map<unknown, unknown>([
        ["a", 1],
        [2, { b: true }],
      ]),
      new Set([1, "one", 2]),
      new Date("2026-11-29T16:20:50.708Z"),
      /ab+c/gi,
      new Uint8Array([1, 2, 255]),
      new Int32Array([-1, 2, 3]),
      new Float64Array([Math.PI, -Infinity, Number.NaN]),
      new BigInt64Array([1n, -2n]),
      new ArrayBuffer(8),
    ];
    for (const value of values) expect(roundTrip(value)).toEqual(value);
    const re = roundTrip(/ab+c/gi) as RegExp;
    expect([re.source, re.flags]).toEqual(["ab+c", "gi"]);
    expect(roundTrip(new Float64Array([1.5]))).toBeInstanceOf(Float64Array);
  });

  it("names types the way dump shows them", () => {
    expect(typeName(2)).toBe("number");
    expect(typeName("s")).toBe("string");
    expect(typeName(false)).toBe("boolean");
    expect(typeName(1n)).toBe("bigint");
    expect(typeName(null)).toBe("null");
    expect(typeName(undefined)).toBe("undefined");
    expect(typeName([1])).toBe("Array");
    expect(typeName({ a: 1 })).toBe("Object");
    expect(typeName(Object.create(null))).toBe("Object");
    expect(typeName(new Map())).toBe("Map");
    expect(typeName(new Set())).toBe("Set");
    expect(typeName(new Date())).toBe("Date");
    expect(typeName(/x/)).toBe("RegExp");
    expect(typeName(new Float64Array(1))).toBe("Float64Array");
    expect(typeName(new Uint8Array(1))).toBe("Uint8Array");
    expect(typeName(Buffer.from("x"))).toBe("Uint8Array");
    expect(typeName({ __steplabClass: "KNN", json: { k: 3 } })).toBe("KNN");
    expect(typeName(roundTrip({ __steplabClass: "KNN", json: { k: 3 } }))).toBe("KNN");
  });

  it("refuses values that cannot be stored and says where they are", () => {
    function* gen() {
      yield 1;
    }
    const cases: [unknown, string, string][] = [
      [() => 1, "", "function"],
      [Symbol("s"), "", "symbol"],
      [gen(), "", "Generator"],
      [{ model: { predict: () => 0 } }, ".model.predict", "function"],
      [[1, [2, Symbol("x")]], "[1][1]", "symbol"],
      [new Map([["k", Promise.resolve()]]), '.get("k")', "Promise"],
    ];
    for (const [value, path, found] of cases) {
      let error: unknown;
      try {
        encodeArtifact(value);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ArtifactEncodeError);
      const e = error as ArtifactEncodeError;
      expect(e.code).toBe("ARTIFACT_ENCODE");
      expect([e.path, e.found]).toEqual([path, found]);
      expect(e.message).toContain(found);
    }
  });

  it("hashes with sha256 hex", () => {
    expect(sha256(new TextEncoder().encode("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("resolveStoreRoot", () => {
  it("prefers STEPLAB_DATASTORE, then the nearest .steplab upwards, else ./.steplab", () => {
    const base = tempDir();
    const deep = join(base, "a", "b");
    mkdirSync(deep, { recursive: true });
    expect(resolveStoreRoot(deep, {})).toBe(join(deep, ".steplab"));
    mkdirSync(join(base, ".steplab"));
    expect(resolveStoreRoot(deep, {})).toBe(join(base, ".steplab"));
    expect(resolveStoreRoot(deep, { STEPLAB_DATASTORE: "/elsewhere/store" })).toBe("/elsewhere/store");
    expect(resolveStoreRoot(deep, { STEPLAB_DATASTORE: "rel" })).toBe(join(deep, "rel"));
  });
});

describe("LMDB store", () => {
  it("stores artifacts of every kind and reads them back, including a large typed array", async () => {
    const store = freshStore();
    const big = new Float64Array(4 * 1024 * 1024).map((_, i) => Math.sin(i) * Math.random());
    const { refs, blobs } = artifacts({
      count: 2,
      name: "dog",
      zeros: new Float64Array(1 << 20),
      big,
      table: new Map([["k", [1, 2, 3]]]),
      when: new Date(0),
    });
    await store.commitTask({ task: task("F", "1", "start", "1", { artifacts: refs }), blobs });
    const t = store.getTask("F", "1", "start", "1");
    expect(t?.artifacts.count).toEqual({ sha: refs.count?.sha, size: refs.count?.size, type: "number" });
    expect(readArtifact(store, t!, "count")).toBe(2);
    expect(readArtifact(store, t!, "name")).toBe("dog");
    expectSameArray(readArtifact(store, t!, "zeros"), new Float64Array(1 << 20));
    expectSameArray(readArtifact(store, t!, "big"), big);
    expect(readArtifact(store, t!, "table")).toEqual(new Map([["k", [1, 2, 3]]]));
    expect(readArtifact(store, t!, "when")).toEqual(new Date(0));
    // Compressible data is stored compressed: 8 MiB of zeros take far less than 8 MiB.
    expect(statSync(join(store.root, "data.mdb")).size).toBeLessThan(big.byteLength + 4 * 1024 * 1024);
  });

  it("stores a blob once however many tasks write it", async () => {
    const store = freshStore();
    const payload = new Float64Array(2 * 1024 * 1024).map(() => Math.random()); // 16 MiB, incompressible
    const a = artifacts({ data: payload });
    await store.commitTask({ task: task("F", "1", "a", "2", { artifacts: a.refs }), blobs: a.blobs });
    const afterFirst = statSync(join(store.root, "data.mdb")).size;
    const b = artifacts({ data: payload, other: 1 });
    await store.commitTask({ task: task("F", "1", "b", "3", { artifacts: b.refs }), blobs: b.blobs });
    const afterSecond = statSync(join(store.root, "data.mdb")).size;
    expect(a.refs.data?.sha).toBe(b.refs.data?.sha);
    expect(afterSecond - afterFirst).toBeLessThan(1024 * 1024);
    expectSameArray(readArtifact(store, store.getTask("F", "1", "b", "3")!, "data"), payload);
  });

  it("commits a task whole or not at all", async () => {
    const store = freshStore();
    const { refs, blobs } = artifacts({ x: `only in this commit ${Math.random()}` });
    const bad = task("F", "1", "start", "1", { artifacts: refs, error: { name: "E", message: Symbol("no") as never } });
    await expect(store.commitTask({ task: bad, blobs, logs: { stdout: "out", stderr: "" } })).rejects.toThrow(StoreError);
    const sha = refs.x!.sha;
    expect(store.hasBlob(sha)).toBe(false);
    expect(store.getTask("F", "1", "start", "1")).toBeUndefined();
    expect(store.getLogs("F", "1", "start", "1")).toBeUndefined();
    expect(() => store.getBlob(sha)).toThrow(NotFoundError);

    await store.commitTask({ task: task("F", "1", "start", "1", { artifacts: refs }), blobs, logs: { stdout: "out", stderr: "err" } });
    expect(store.hasBlob(sha)).toBe(true);
    expect(store.getLogs("F", "1", "start", "1")).toEqual({ stdout: "out", stderr: "err" });
  });

  it("overwrites a task when it is committed again (running -> succeeded)", async () => {
    const store = freshStore();
    await store.commitTask({ task: task("F", "1", "start", "1", { status: "running" }), blobs: new Map() });
    expect(store.getTask("F", "1", "start", "1")?.status).toBe("running");
    const { refs, blobs } = artifacts({ n: 1 });
    await store.commitTask({ task: task("F", "1", "start", "1", { artifacts: refs, finishedAt: 5 }), blobs });
    const t = store.getTask("F", "1", "start", "1");
    expect([t?.status, t?.finishedAt, Object.keys(t?.artifacts ?? {})]).toEqual(["succeeded", 5, ["n"]]);
    expect(store.listRunTasks("F", "1")).toHaveLength(1);
  });

  it("lists flows, runs newest first, steps by first task and tasks by numeric id", async () => {
    const store = freshStore();
    const ids = [store.newRunId(), store.newRunId(), store.newRunId()];
    for (const [i, runId] of ids.entries()) {
      await store.putRun({ flow: "Beta", runId, status: "succeeded", tags: [`t${i}`], parameters: {}, createdAt: i });
    }
    await store.putRun({ flow: "Alpha", runId: "5", status: "running", tags: [], parameters: {}, createdAt: 0 });
    await store.putRun({ flow: "Alpha", runId: "40", status: "failed", tags: [], parameters: {}, createdAt: 0 });
    expect(store.listFlows()).toEqual(["Alpha", "Beta"]);
    expect(store.listRuns("Beta").map((r) => r.runId)).toEqual([...ids].reverse());
    expect(store.listRuns("Alpha").map((r) => r.runId)).toEqual(["40", "5"]);
    expect(store.listRuns("Gamma")).toEqual([]);
    expect(store.getRun("Beta", ids[0]!)?.tags).toEqual(["t0"]);

    const run = ids[0]!;
    const layout: [string, string][] = [
      ["start", "1"],
      ["zeta", "2"],
      ["alpha", "3"],
      ["zeta", "10"],
      ["alpha", "9"],
      ["join", "11"],
      ["end", "12"],
    ];
    for (const [step, id] of [...layout].reverse()) {
      await store.commitTask({ task: task("Beta", run, step, id), blobs: new Map() });
    }
    expect(store.listSteps("Beta", run)).toEqual(["start", "zeta", "alpha", "join", "end"]);
    expect(store.listTasks("Beta", run, "zeta").map((t) => t.taskId)).toEqual(["2", "10"]);
    expect(store.listTasks("Beta", run, "alpha").map((t) => t.taskId)).toEqual(["3", "9"]);
    expect(store.listRunTasks("Beta", run).map((t) => t.taskId)).toEqual(["1", "2", "3", "9", "10", "11", "12"]);
    expect(store.listRunTasks("Beta", ids[1]!)).toEqual([]);
    expect(store.listSteps("Nope", "1")).toEqual([]);
  });

  it("issues increasing run ids across stores opened on one root", async () => {
    const root = tempDir();
    const one = freshStore(root);
    const two = freshStore(root);
    const seen: bigint[] = [];
    for (let i = 0; i < 50; i++) seen.push(BigInt((i % 2 ? one : two).newRunId()));
    for (let i = 1; i < seen.length; i++) expect(seen[i]! > seen[i - 1]!).toBe(true);
    expect(Number(seen[0]!) / 1000).toBeGreaterThan(Date.now() - 60_000); // microseconds since the epoch
    await one.close();
    expect(two.newRunId()).toMatch(/^\d{16}$/);
    expect(() => one.newRunId()).toThrow(StoreError);
  });

  it("issues run ids while a commit is being written", async () => {
    const store = freshStore();
    const { refs, blobs } = artifacts({ data: new Float64Array(1 << 20).map(() => Math.random()) });
    const commit = store.commitTask({ task: task("F", "1", "start", "1", { artifacts: refs }), blobs });
    const ids = [store.newRunId()];
    await new Promise((r) => setImmediate(r));
    ids.push(store.newRunId());
    await commit;
    ids.push(store.newRunId());
    expect(new Set(ids).size).toBe(3);
    expect(store.getTask("F", "1", "start", "1")?.status).toBe("succeeded");
  });

  it("keeps notebook history in order", async () => {
    const store = freshStore();
    for (let line = 1; line <= 5; line++) await store.addHistory({ session: "repl", line, source: `x = ${line}`, at: line });
    expect(store.listHistory().map((h) => h.line)).toEqual([1, 2, 3, 4, 5]);
    expect(store.listHistory(2).map((h) => h.source)).toEqual(["x = 4", "x = 5"]);
    expect(store.listHistory(0)).toEqual([]);
  });

  it("keeps logs and puts blobs outside a commit", async () => {
    const store = freshStore();
    const bytes = encodeArtifact("file content");
    const sha = sha256(bytes);
    await store.putBlobs(new Map([[sha, bytes]]));
    expect(decodeArtifact(store.getBlob(sha))).toBe("file content");
    const foreign = new Uint8Array([1, 2, 3]); // not an encoded artifact: still stored byte for byte
    await store.putBlobs(new Map([[sha256(foreign), foreign]]));
    expect(store.getBlob(sha256(foreign))).toEqual(foreign);
    expect(() => store.getBlob("0".repeat(64))).toThrow(NotFoundError);
  });

  it("says what to do when the store cannot be opened", () => {
    const file = join(tempDir(), "not-a-dir");
    writeFileSync(file, "x");
    expect(() => openStore(file)).toThrow(StoreError);
    expect(() => openStore(file)).toThrow(/STEPLAB_DATASTORE/);
  });
});

describe("LMDB store across processes", () => {
  let childDir: string;

  beforeAll(() => {
    // The child runs the real store code, bundled to plain JS next to node_modules so `lmdb` resolves.
    childDir = mkdtempSync(join(resolve("node_modules"), ".cache-steplab-store-test-"));
    tempDirs.push(childDir);
    buildSync({
      entryPoints: [resolve("store/index.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      packages: "external",
      outfile: join(childDir, "store.mjs"),
      logLevel: "error",
    });
    writeFileSync(join(childDir, "writer.mjs"), WRITER);
  });

  function startWriter(root: string, mode: "forever" | "runs", count = 0): ChildProcess {
    return spawn(process.execPath, [join(childDir, "writer.mjs"), root, mode, String(count)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  function collect(child: ChildProcess): { lines: string[]; stderr: () => string } {
    const lines: string[] = [];
    let partial = "";
    let err = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const parts = text.split("\n");
      partial = parts.pop() ?? "";
      lines.push(...parts);
    });
    child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
    return { lines, stderr: () => err };
  }

  function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
    return new Promise((done) => child.on("exit", (code, signal) => done({ code, signal })));
  }

  /** Every task in the store is whole: its blobs are there and hash to their refs, its logs exist. */
  function checkWhole(store: Store): number {
    let tasks = 0;
    for (const flow of store.listFlows()) {
      for (const run of store.listRuns(flow)) {
        for (const t of store.listRunTasks(flow, run.runId)) {
          tasks++;
          for (const ref of Object.values(t.artifacts)) expect(sha256(store.getBlob(ref.sha))).toBe(ref.sha);
          expect(store.getLogs(flow, run.runId, t.step, t.taskId)?.stdout).toContain(t.step);
        }
      }
    }
    return tasks;
  }

  it("reopens and reads a store whose writer was killed with SIGKILL mid-writes", async () => {
    const root = tempDir();
    const child = startWriter(root, "forever");
    const out = collect(child);
    const done = exited(child);
    while (out.lines.length < 25) {
      const state = await Promise.race([done, new Promise((r) => setTimeout(r, 20, null))]);
      if (state) throw new Error(`writer exited early: ${JSON.stringify(state)} ${out.stderr()}`);
    }
    child.kill("SIGKILL");
    expect((await done).signal).toBe("SIGKILL");

    const store = freshStore(root);
    const total = checkWhole(store);
    // Every commit the writer reported finished is there.
    for (const line of out.lines) {
      const [flow, runId, step, taskId] = line.split("/");
      expect(store.getTask(flow!, runId!, step!, taskId!)?.status).toBe("succeeded");
    }
    expect(total).toBeGreaterThanOrEqual(out.lines.length);
    // The store is still writable.
    const runId = store.newRunId();
    await store.commitTask({ task: task("After", runId, "start", "1"), blobs: new Map(), logs: { stdout: "start", stderr: "" } });
    expect(store.listRunTasks("After", runId)).toHaveLength(1);
  });

  it("lets two processes run flows in one store at the same time", async () => {
    const root = tempDir();
    const children = [startWriter(root, "runs", 15), startWriter(root, "runs", 15)];
    const outs = children.map(collect);
    const results = await Promise.all(children.map(exited));
    expect(
      results.map((r) => r.code),
      outs.map((o) => o.stderr()).join("\n"),
    ).toEqual([0, 0]);
    const runIds = outs.flatMap((o) => o.lines.map((l) => l.split("/")[1]!));
    expect(new Set(runIds).size).toBe(30);
    const store = freshStore(root);
    expect(store.listRuns("Writer")).toHaveLength(30);
    expect(checkWhole(store)).toBe(30 * 3);
  });
});

/** A flow-like writer: each run is start -> work -> end, each task with random blobs and logs. */
const WRITER = `
import { openStore, encodeArtifact, sha256, typeName } from "./store.mjs";
const [root, mode, countText] = process.argv.slice(2);
const store = openStore(root);
const runs = mode === "forever" ? Infinity : Number(countText);
for (let r = 0; r < runs; r++) {
  const runId = store.newRunId();
  await store.putRun({ flow: "Writer", runId, status: "running", tags: [], parameters: {}, createdAt: Date.now() });
  let taskId = 0;
  for (const step of ["start", "work", "end"]) {
    taskId++;
    const values = { shared: "same in every task", noise: new Float64Array(32768).map(() => Math.random()), step };
    const artifacts = {};
    const blobs = new Map();
    for (const [name, value] of Object.entries(values)) {
      const bytes = encodeArtifact(value);
      const sha = sha256(bytes);
      artifacts[name] = { sha, size: bytes.length, type: typeName(value) };
      blobs.set(sha, bytes);
    }
    const task = { flow: "Writer", runId, step, taskId: String(taskId), status: "succeeded", attempt: 0, artifacts,
      stack: [], inputs: [], startedAt: Date.now(), pid: process.pid };
    await store.commitTask({ task, blobs, logs: { stdout: "in " + step + "\\n", stderr: "" } });
    if (step === "start") process.stdout.write("Writer/" + runId + "/" + step + "/" + taskId + "\\n");
  }
  await store.putRun({ flow: "Writer", runId, status: "succeeded", tags: [], parameters: {}, createdAt: Date.now() });
}
await store.close();
`;
