/**
 * steplab gc and what the data plane, the pictures and the hardening store, against both
 * datastores (one shared file: LMDB in a temp dir, S3 + PostgreSQL on the real services): a large
 * artifact's chunks go with the last run that uses them and no sooner, a task's displays blob is
 * in use like an artifact, and a killed run is a finished run.
 */
import { spawn } from "node:child_process";
import os from "node:os";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { NotFoundError } from "../errors/index.js";
import { decodeArtifact, runSizes, type Store } from "../store/index.js";
import { addRun, blob, commit, deadPid, gc, gcStores, noise, readsBack } from "./helpers/gc-stores.js";
import { remoteServices } from "./helpers/services.js";

const kinds = await gcStores();
const services = await remoteServices();
const CHUNK = 64 * 1024;

/** Two arrays of six chunks that share the first five (and their header, the same length). */
function sharingArrays(seed: number): { x: Uint8Array; y: Uint8Array } {
  const common = noise(seed, 5 * CHUNK);
  const x = new Uint8Array(6 * CHUNK);
  const y = new Uint8Array(6 * CHUNK);
  x.set(common);
  y.set(common);
  x.set(noise(seed + 1, CHUNK), 5 * CHUNK);
  y.set(noise(seed + 2, CHUNK), 5 * CHUNK);
  return { x, y };
}

/** Whether every key is stored, asked of a fresh handle (no cache of what this one read or wrote). */
function allStored(kind: (typeof kinds)[number], store: Store, keys: string[]): boolean[] {
  const fresh = kind.reopen(store);
  return keys.map((key) => fresh.hasBlob(key));
}

describe.each(kinds)("gc on the $name store", (kind) => {
  describe.skipIf(kind.skip)("", () => {
    it("sweeps a deleted run's own chunks, keeps those a kept run shares, and the kept value reads back whole", async () => {
      const store = kind.open({ chunkBytes: CHUNK });
      const { x, y } = sharingArrays(100);
      const old = await addRun(store, "ChunkFlow", { values: { big: x } });
      const kept = await addRun(store, "ChunkFlow", { values: { big: y } });
      const xChunks = store.blobChildren(blob(x).sha);
      const yChunks = store.blobChildren(blob(y).sha);
      // The array's header, then its memory cut every CHUNK bytes.
      expect(xChunks).toHaveLength(7);
      const own = xChunks.filter((key) => !yChunks.includes(key));
      expect(own).toHaveLength(1);
      // `steplab runs` sizes a run by what only it holds: its manifest and its last chunk.
      const size = runSizes(store).get(`ChunkFlow/${old.runId}`)!;
      expect(size).toBeGreaterThanOrEqual(CHUNK);
      expect(size).toBeLessThan(CHUNK + 2048);
      const before = kind.objects ? await kind.objects(store) : [];

      const dry = await gc(store, { keepLast: 1, dryRun: true });
      const report = await gc(store, { keepLast: 1 });

      expect(report.runs.map((r) => r.run.runId)).toEqual([old.runId]);
      expect([report.blobs, report.bytes]).toEqual([2, size]);
      expect([dry.blobs, dry.bytes]).toEqual([2, size]);
      expect(() => kind.reopen(store).getBlob(blob(x).sha)).toThrow(NotFoundError);
      expect(allStored(kind, store, own)).toEqual([false]);
      expect(allStored(kind, store, yChunks)).toEqual(yChunks.map(() => true));
      expect(readsBack(store, kept)).toEqual({ big: y });
      expect(readsBack(kind.reopen(store), kept)).toEqual({ big: y });
      if (kind.objects) {
        const after = await kind.objects(store);
        expect(before.length - after.length).toBe(2);
        for (const key of [blob(x).sha, ...own]) expect(after.some((k) => k.endsWith(key))).toBe(false);
        for (const key of yChunks) expect(after.some((k) => k.endsWith(key))).toBe(true);
      }
    });

    it("a commit between gc's mark and its sweep that reuses chunks of a deleted run keeps them (its pinned manifest names them)", async () => {
      const store = kind.open({ chunkBytes: CHUNK });
      const { x, y } = sharingArrays(200);
      const old = await addRun(store, "PinFlow", { values: { big: x } });
      await addRun(store, "PinFlow", { values: { v: 1 } });
      const live = await addRun(store, "PinFlow", { values: {}, status: "running" });
      const collector = store.collector();
      const garbage = [blob(x).sha, ...store.blobChildren(blob(x).sha)];
      await collector.acquireLease({ pid: process.pid, host: os.hostname(), at: Date.now() });
      try {
        await collector.deleteRuns([old]);
        expect(collector.blobShas()).toEqual(expect.arrayContaining(garbage));
        // Mark done: all of x is garbage. The run in progress stores y, finding five of its chunks stored.
        await commit(store, live, "2", { big: y });
        // What collectGarbage passes: the pinned blobs and the blobs they name.
        const swept = await collector.sweep(
          garbage,
          [],
          (pinned) => new Set([...pinned].flatMap((sha) => [sha, ...collector.childBlobs(sha)])),
        );
        expect(swept).toMatchObject({ blobs: 2, pinned: 6 });
      } finally {
        await collector.releaseLease();
      }
      expect(decodeArtifact(kind.reopen(store).getBlob(blob(y).sha))).toEqual(y);
    });

    it("a commit in flight that reuses chunks while gc deletes the run they came from reads back whole", async () => {
      const store = kind.open({ chunkBytes: CHUNK });
      const { x, y } = sharingArrays(300);
      const old = await addRun(store, "FlightFlow", { values: { big: x } });
      await addRun(store, "FlightFlow", { values: { v: 1 } });
      const live = await addRun(store, "FlightFlow", { values: {}, status: "running" });
      // Many new chunks to write before the commit's own transaction: gc runs meanwhile.
      const inFlight = commit(store, live, "2", { big: y, fresh: noise(301, 16 * CHUNK) });
      const report = await gc(kind.reopen(store), { named: [{ flow: "FlightFlow", runId: old.runId }] });
      await inFlight;
      expect(report.runs).toHaveLength(1);
      const fresh = kind.reopen(store);
      expect(decodeArtifact(fresh.getBlob(blob(y).sha))).toEqual(y);
      // Compared as buffers: a deep equality over a million elements takes seconds.
      const big = decodeArtifact(fresh.getBlob(blob(noise(301, 16 * CHUNK)).sha)) as Uint8Array;
      expect(Buffer.compare(big, noise(301, 16 * CHUNK))).toBe(0);
      // Whatever the order, the commit left nothing unreferenced behind, and a later gc keeps all of y.
      const again = await gc(store, { named: [] });
      expect(again.blobs).toBe(0);
      expect(decodeArtifact(kind.reopen(store).getBlob(blob(y).sha))).toEqual(y);
    });

    it("a task's displays and cell value blobs are in use: they survive gc of other runs, and go with their run", async () => {
      const store = kind.open();
      const shown = (text: string) => [{ data: { "text/html": `<b>${text}</b>`, "text/plain": text } }];
      const valued = (text: string) => ({ displays: shown(text), cellValue: `value of ${text}` });
      const old = await addRun(store, "CardFlow", { values: { v: noise(401) }, ...valued("old") });
      const kept = await addRun(store, "CardFlow", { values: { v: noise(402) }, ...valued("kept") });
      const other = await addRun(store, "OtherCardFlow", { values: {}, ...valued("other flow") });
      const sizes = runSizes(store);
      const stored = store.collector().storedSizes([blob(noise(401)).sha, blob(shown("old")).sha, blob({ of: "value of old" }).sha]);
      expect(sizes.get(`CardFlow/${old.runId}`)).toBe([...stored.values()].reduce((a, b) => a + b, 0));

      const report = await gc(store, { keepLast: 0 });

      expect(report.runs.map((r) => r.run.runId)).toEqual([old.runId]);
      expect(report.blobs).toBe(3);
      const fresh = kind.reopen(store);
      expect(() => fresh.getBlob(blob(shown("old")).sha)).toThrow(NotFoundError);
      expect(() => fresh.getBlob(blob({ of: "value of old" }).sha)).toThrow(NotFoundError);
      for (const [run, text] of [
        [kept, "kept"],
        [other, "other flow"],
      ] as const) {
        const [task] = fresh.listRunTasks(run.flow, run.runId);
        expect(decodeArtifact(fresh.getBlob(task!.displays!.sha))).toEqual(shown(text));
        expect(decodeArtifact(fresh.getBlob(task!.cellValue!.sha))).toEqual({ of: `value of ${text}` });
      }
      await gc(store, { named: [{ flow: "CardFlow", runId: kept.runId }] });
      expect(() => kind.reopen(store).getBlob(blob(shown("kept")).sha)).toThrow(NotFoundError);
      expect(() => kind.reopen(store).getBlob(blob({ of: "value of kept" }).sha)).toThrow(NotFoundError);
    });

    it("a killed run (its process gone, or stopped by a signal) is collectable; a run whose process lives is not", async () => {
      const store = kind.open();
      const host = os.hostname();
      const owner = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"], { stdio: "ignore" });
      try {
        const gone = await addRun(store, "KillFlow", { values: { v: noise(501) }, status: "running", pid: deadPid(), host });
        const stopped = await addRun(store, "KillFlow", { values: { v: noise(502) }, status: "killed", host });
        const live = await addRun(store, "KillFlow", { values: { v: noise(503) }, status: "running", pid: owner.pid, host });
        const latest = await addRun(store, "KillFlow", { values: { v: noise(504) } });
        expect(store.getRun("KillFlow", gone.runId)!.status).toBe("killed");

        const report = await gc(store, { keepLast: 0 });

        expect(report.runs.map((r) => [r.run.runId, r.run.status])).toEqual([
          [gone.runId, "killed"],
          [stopped.runId, "killed"],
        ]);
        expect(Object.fromEntries(report.spared.map((s) => [s.run.runId, s.why]))).toEqual({
          [live.runId]: `in progress (pid ${owner.pid})`,
          [latest.runId]: "the latest successful run of its flow (name it to delete it)",
        });
        expect(readsBack(store, live)).toEqual({ v: noise(503) });
        expect(() => kind.reopen(store).getBlob(blob(noise(501)).sha)).toThrow(NotFoundError);
      } finally {
        owner.kill();
      }
    });
  });
});

// Remote only: the index of an S3 datastore is what gc reads a blob's chunks from.
const remote = kinds.find((k) => k.objects)!;

describe.skipIf(remote.skip)("gc on the S3 + PostgreSQL store", () => {
  it("an index row from before the index kept a blob's chunks is read from S3 once, and the chunks stay live", async () => {
    const store = remote.open({ chunkBytes: CHUNK });
    const { x, y } = sharingArrays(600);
    await addRun(store, "LegacyFlow", { values: { big: x } });
    const kept = await addRun(store, "LegacyFlow", { values: { big: y } });
    const db = new pg.Client({ connectionString: services.env.STEPLAB_DB_URL });
    await db.connect();
    try {
      // As a datastore written before schema 3 left its rows.
      await db.query("UPDATE steplab_blobs SET children = NULL WHERE ds = $1", [store.root]);
      const report = await gc(store, { keepLast: 1 });
      expect(report.blobs).toBe(2);
      expect(readsBack(remote.reopen(store), kept)).toEqual({ big: y });
      const { rows } = await db.query<{ sha: string; children: string[] | null }>(
        "SELECT sha, children FROM steplab_blobs WHERE ds = $1 AND (children IS NULL OR cardinality(children) > 0)",
        [store.root],
      );
      expect(rows).toEqual([{ sha: blob(y).sha, children: store.blobChildren(blob(y).sha) }]);
    } finally {
      await db.end();
    }
  });
});
