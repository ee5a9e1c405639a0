/**
 * steplab gc against both datastores, one shared file: the LMDB store in a temp dir and the remote
 * store on the real services (S3 through Swift, PostgreSQL). What a user checks: which runs go,
 * that what stays reads back whole, that the bytes are really gone (S3 objects listed), and that
 * the protocol keeps a run's blobs when it commits while gc works.
 */
import os from "node:os";
import { describe, expect, it } from "vitest";
import { decodeArtifact, MissingBlobError, runSizes } from "../store/index.js";
import { addRun, blob, commit, deadPid, gc, gcStores, noise, readsBack } from "./helpers/gc-stores.js";

const kinds = await gcStores();

describe.each(kinds)("steplab gc on the $name store", (kind) => {
  describe.skipIf(kind.skip)("", () => {
    it("keeps the last N runs of a flow, deletes the others with the blobs only they used", async () => {
      const store = kind.open();
      const shared = noise(0);
      const runs = [];
      for (let i = 1; i <= 3; i++) runs.push(await addRun(store, "KeepFlow", { values: { shared, own: noise(i) } }));
      const other = await addRun(store, "OtherFlow", { values: { own: noise(9) } });
      const before = kind.objects ? await kind.objects(store) : [];

      const report = await gc(store, { flow: "KeepFlow", keepLast: 1 });

      expect(report.runs.map((r) => r.run.runId)).toEqual([runs[0]!.runId, runs[1]!.runId]);
      expect(report.tasks).toBe(2);
      expect(report.blobs).toBe(2);
      expect(report.bytes).toBeGreaterThan(2 * 19_000);
      expect(store.listRuns("KeepFlow").map((r) => r.runId)).toEqual([runs[2]!.runId]);
      expect(store.listRunTasks("KeepFlow", runs[0]!.runId)).toEqual([]);
      expect(store.getLogs("KeepFlow", runs[0]!.runId, "start", "1")).toBeUndefined();
      expect(() => store.getBlob(blob(noise(1)).sha)).toThrow();
      expect(readsBack(store, runs[2]!)).toEqual({ shared, own: noise(3) });
      expect(readsBack(store, other)).toEqual({ own: noise(9) });
      if (kind.objects) {
        const after = await kind.objects(store);
        expect(before.length - after.length).toBe(2);
        for (const gone of [noise(1), noise(2)]) expect(after.some((k) => k.endsWith(blob(gone).sha))).toBe(false);
      }
    });

    it("a dry run reports exactly what the real run then deletes, and changes nothing", async () => {
      const store = kind.open();
      for (let i = 1; i <= 3; i++) await addRun(store, "DryFlow", { values: { own: noise(10 + i) } });
      const dry = await gc(store, { keepLast: 1, dryRun: true });
      expect(store.listRuns("DryFlow")).toHaveLength(3);
      for (let i = 1; i <= 3; i++) expect(decodeArtifact(store.getBlob(blob(noise(10 + i)).sha))).toEqual(noise(10 + i));

      const real = await gc(store, { keepLast: 1 });
      expect(real.runs.map((r) => r.run.runId)).toEqual(dry.runs.map((r) => r.run.runId));
      expect([real.tasks, real.blobs, real.bytes]).toEqual([dry.tasks, dry.blobs, dry.bytes]);
      expect(dry.runs.map((r) => r.ownBytes)).toEqual(real.runs.map((r) => r.ownBytes));
      expect(real.bytes).toBe(dry.runs.reduce((n, r) => n + r.ownBytes, 0));
    });

    it("--older-than deletes runs started before the cut-off and keeps newer ones", async () => {
      const store = kind.open();
      const day = 24 * 3600_000;
      const old = await addRun(store, "AgeFlow", { values: { v: noise(21) }, createdAt: Date.now() - 40 * day });
      const recent = await addRun(store, "AgeFlow", { values: { v: noise(22) }, createdAt: Date.now() - 2 * day, status: "failed" });
      await addRun(store, "AgeFlow", { values: { v: noise(23) } });
      const report = await gc(store, { olderThanMs: 30 * day });
      expect(report.runs.map((r) => r.run.runId)).toEqual([old.runId]);
      expect(store.listRuns("AgeFlow").map((r) => r.runId)).toContain(recent.runId);
    });

    it("never deletes runs tagged keep or a --keep-tag, nor the latest successful run unless it is named", async () => {
      const store = kind.open();
      const kept = await addRun(store, "TagFlow", { values: { v: noise(31) }, tags: ["keep"] });
      const paper = await addRun(store, "TagFlow", { values: { v: noise(32) }, tags: ["paper"] });
      const plain = await addRun(store, "TagFlow", { values: { v: noise(33) } });
      const latestOk = await addRun(store, "TagFlow", { values: { v: noise(34) } });
      const failed = await addRun(store, "TagFlow", { values: { v: noise(35) }, status: "failed" });

      const report = await gc(store, { keepLast: 0, keepTags: ["paper"] });
      expect(report.runs.map((r) => r.run.runId).sort()).toEqual([plain.runId, failed.runId].sort());
      expect(Object.fromEntries(report.spared.map((s) => [s.run.runId, s.why]))).toEqual({
        [kept.runId]: "tagged keep",
        [paper.runId]: "tagged paper",
        [latestOk.runId]: "the latest successful run of its flow (name it to delete it)",
      });
      expect(readsBack(store, latestOk)).toEqual({ v: noise(34) });

      const named = await gc(store, { named: [{ flow: "TagFlow", runId: latestOk.runId }] });
      expect(named.runs.map((r) => r.run.runId)).toEqual([latestOk.runId]);
      expect(
        store
          .listRuns("TagFlow")
          .map((r) => r.runId)
          .sort(),
      ).toEqual([kept.runId, paper.runId].sort());
      await expect(gc(store, { named: [{ flow: "TagFlow", runId: "404" }] })).rejects.toThrow(/TagFlow\/404' is not in the datastore/);
    });

    it("keeps a run in progress whole, and deletes one whose owner process is gone (LMDB; a remote store cannot see other machines' processes)", async () => {
      const store = kind.open();
      const running = await addRun(store, "LiveFlow", { values: { v: noise(41) }, status: "running" });
      const orphan = await addRun(store, "LiveFlow", { values: { v: noise(42) }, status: "running", pid: deadPid() });
      await addRun(store, "LiveFlow", { values: { v: noise(43) } });
      const report = await gc(store, { olderThanMs: 1, now: Date.now() + 1000 });
      expect(report.spared.find((s) => s.run.runId === running.runId)?.why).toBe(`in progress (pid ${process.pid})`);
      expect(readsBack(store, running)).toEqual({ v: noise(41) });
      const orphanGone = !store.listRuns("LiveFlow").some((r) => r.runId === orphan.runId);
      expect(orphanGone).toBe(kind.name === "LMDB");
    });

    it("keeps parameters and blobs put for a record not yet written while their writer lives", async () => {
      const store = kind.open();
      const withParams = await addRun(store, "ParamFlow", {
        values: { v: noise(51) },
        parameters: { alpha: "a value only a parameter holds" },
      });
      await addRun(store, "ParamFlow", { values: { v: noise(52) }, parameters: { alpha: "a value only a parameter holds" } });
      // A notebook's parameters cell stores its values before the run exists.
      const early = blob("put before its run record");
      await store.putBlobs(new Map([[early.sha, early.bytes]]));

      await gc(store, { keepLast: 1, now: Date.now() + 3 * 3600_000 });
      expect(decodeArtifact(store.getBlob(early.sha))).toBe("put before its run record");
      expect(store.listRuns("ParamFlow")).toHaveLength(1);
      expect(decodeArtifact(store.getBlob(blob("a value only a parameter holds").sha))).toBe("a value only a parameter holds");
      expect(withParams.parameters.alpha).toBeDefined();
    });

    it("a commit between gc's mark and its sweep keeps the blob it refers to (pinned under the lease)", async () => {
      const store = kind.open();
      const old = await addRun(store, "RaceFlow", { values: { v: noise(61) } });
      await addRun(store, "RaceFlow", { values: { v: noise(62) } });
      const live = await addRun(store, "RaceFlow", { values: { v: noise(63) }, status: "running" });

      const collector = store.collector();
      await collector.acquireLease({ pid: process.pid, host: os.hostname(), at: Date.now() });
      try {
        await collector.deleteRuns([old]);
        const garbage = blob(noise(61)).sha;
        expect(collector.blobShas()).toContain(garbage);
        // Mark done: noise(61) is garbage. Now the run in progress commits a task with the same
        // value, and its store already has that blob, so the commit writes only the record.
        await commit(store, live, "2", { again: noise(61) });
        const swept = await collector.sweep([garbage], [], (pinned) => pinned);
        expect(swept).toMatchObject({ blobs: 0, pinned: 1 });
      } finally {
        await collector.releaseLease();
      }
      expect(decodeArtifact(store.getBlob(blob(noise(61)).sha))).toEqual(noise(61));
    });

    it("a commit after a sweep writes a deleted blob again from its bytes, or fails loudly without them", async () => {
      const store = kind.open();
      await addRun(store, "AfterFlow", { values: { v: noise(71) } });
      await addRun(store, "AfterFlow", { values: { v: noise(74) } });
      await addRun(store, "AfterFlow", { values: { v: noise(72) } });
      const live = await addRun(store, "AfterFlow", { values: { v: noise(73) }, status: "running" });
      const report = await gc(store, { keepLast: 1 });
      expect(report.blobs).toBe(2);
      const gone = blob(noise(71));
      expect(() => store.getBlob(gone.sha)).toThrow();

      // The executor's path: the task passes every blob it set; the store sees this one is missing.
      await commit(store, live, "2", { v: noise(71) });
      expect(decodeArtifact(store.getBlob(gone.sha))).toEqual(noise(71));

      // A reference without bytes (a resume cloning a deleted run's task) is refused, not left dangling.
      const refused = commit(store, live, "3", { cloned: noise(74) }, false);
      await expect(refused).rejects.toThrow(MissingBlobError);
      await expect(refused).rejects.toThrow(
        /task AfterFlow\/\d+\/start\/3 refers to artifact data that is no longer in the datastore: cloned \(/,
      );
      expect(store.getTask("AfterFlow", live.runId, "start", "3")).toBeUndefined();
      expect(() => store.getBlob(blob(noise(74)).sha)).toThrow();
    });

    it("a commit that found a blob stored, then saw gc delete it before its transaction, writes it again", async () => {
      const store = kind.open();
      const old = await addRun(store, "LateFlow", { values: { x: noise(91) } });
      await addRun(store, "LateFlow", { values: { v: noise(92) } });
      const live = await addRun(store, "LateFlow", { values: {}, status: "running" });
      // A commit with a large new blob compresses it before its transaction (LMDB: the async path),
      // having already found noise(91) stored; gc deletes noise(91) meanwhile.
      const commitInFlight = commit(store, live, "2", { x: noise(91), fresh: noise(93, 200_000) });
      const report = await gc(store, { named: [{ flow: "LateFlow", runId: old.runId }] });
      await commitInFlight;
      expect(report.runs).toHaveLength(1);
      expect(decodeArtifact(store.getBlob(blob(noise(91)).sha))).toEqual(noise(91));
      expect(decodeArtifact(store.getBlob(blob(noise(93, 200_000)).sha))).toEqual(noise(93, 200_000));
    });

    it("drops the task cache entries (run --cache) of the runs it deletes, and keeps the others", async () => {
      const store = kind.open();
      const old = await addRun(store, "CacheFlow", { values: { v: noise(95) } });
      const kept = await addRun(store, "CacheFlow", { values: { v: noise(96) } });
      await store.putCachedTask("CacheFlow", "key-old", { runId: old.runId, step: "start", taskId: "1" });
      await store.putCachedTask("CacheFlow", "key-kept", { runId: kept.runId, step: "start", taskId: "1" });
      await store.putCachedTask("OtherFlow", "key-old", { runId: old.runId, step: "start", taskId: "1" });
      await gc(store, { keepLast: 1 });
      expect(store.getCachedTask("CacheFlow", "key-old")).toBeUndefined();
      expect(store.getCachedTask("CacheFlow", "key-kept")).toEqual({ runId: kept.runId, step: "start", taskId: "1" });
      // Another flow's entry is that flow's, whatever run id it names.
      expect(store.getCachedTask("OtherFlow", "key-old")).toBeDefined();
    });

    it("leaves input history alone, and sizes each run by the blobs only it uses", async () => {
      const store = kind.open();
      await store.addHistory({ session: "repl", line: 1, source: "self.x = 1", at: Date.now() });
      const shared = noise(80, 4000);
      const a = await addRun(store, "SizeFlow", { values: { shared, own: noise(81, 8000) } });
      const b = await addRun(store, "SizeFlow", { values: { shared, own: noise(82, 16_000) } });
      const sizes = runSizes(store);
      const stored = store.collector().storedSizes([blob(noise(81, 8000)).sha, blob(noise(82, 16_000)).sha]);
      expect(sizes.get(`SizeFlow/${a.runId}`)).toBe(stored.get(blob(noise(81, 8000)).sha));
      expect(sizes.get(`SizeFlow/${b.runId}`)).toBe(stored.get(blob(noise(82, 16_000)).sha));
      await gc(store, { named: [{ flow: "SizeFlow", runId: a.runId }] });
      expect(store.listHistory().map((h) => h.source)).toEqual(["self.x = 1"]);
    });

    it("refuses a second gc while one holds the lease", async () => {
      const store = kind.open();
      await addRun(store, "BusyFlow", { values: { v: 1 } });
      const collector = store.collector();
      await collector.acquireLease({ pid: process.pid, host: os.hostname(), at: Date.now() });
      try {
        await expect(gc(kind.reopen(store), { keepLast: 1 })).rejects.toThrow(/another steplab gc \(pid \d+ on .*\) is collecting/);
      } finally {
        await collector.releaseLease();
      }
      await expect(gc(store, { keepLast: 1 })).resolves.toBeDefined();
    });
  });
});
