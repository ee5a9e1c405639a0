/**
 * A notebook session (what the kernel and the REPL run) over the remote datastore: S3 blobs and
 * PostgreSQL metadata from .ci/services.sh. Its run is read back through the client API.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Flow } from "../runtime/client/index.js";
import { storeReader } from "../store/index.js";
import { createSession, type CellSink } from "../runtime/session/index.js";
import { openStore } from "../store/index.js";
import { remoteServices, uniqueRoot } from "./helpers/services.js";

const services = await remoteServices();
const dir = mkdtempSync(path.join(tmpdir(), "steplab-session-remote-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sink: CellSink = { stdout: () => {}, stderr: () => {}, display: () => {}, clearOutput: () => {} };

describe.skipIf(services.skip)("a notebook session over S3 + PostgreSQL", () => {
  it("runs cells as steps into the remote datastore, readable by the client API", async () => {
    Object.assign(process.env, services.env, { STEPLAB_CACHE_DIR: path.join(dir, "cache") });
    const root = uniqueRoot(services.env, "session");
    const session = await createSession({ storeRoot: root, cwd: dir, flowName: "RemoteCellsFlow" });
    try {
      expect((await session.execute(`//% step start\nself.creatures = ["bird", "mouse"];`, { sink })).status).toBe("ok");
      expect((await session.execute(`//% step analyze foreach creatures\nself.score = self.input.length;`, { sink })).status).toBe("ok");
      const pick = await session.execute(`//% step pick\nself.best = Math.max(...inputs.map((i) => i.score));\nself.best`, { sink });
      expect(pick.result?.["text/plain"]).toBe("5");
      // Re-run unchanged, the cell reuses its task, found through the remote datastore's cache keys.
      let said = "";
      const again = await session.execute(`//% step pick\nself.best = Math.max(...inputs.map((i) => i.score));\nself.best`, {
        sink: { ...sink, stderr: (t) => void (said += t) },
      });
      expect(again.result?.["text/plain"]).toBe("5");
      expect(said).toMatch(/^Reused results of task RemoteCellsFlow\/\d+\/pick\/\d+\n$/);
    } finally {
      await session.close();
    }
    const store = openStore(root);
    try {
      const run = Flow("RemoteCellsFlow", storeReader(store)).latestRun!;
      expect(run.tags).toContain("notebook");
      expect(run.step("analyze").tasks).toHaveLength(2);
      expect(run.step("pick").tasks.map((t) => t.data.best)).toEqual([5, 5]);
      expect(run.step("pick").tasks[1]!.reusedFrom).toBe(run.step("pick").tasks[0]!.pathspec);
    } finally {
      await store.close();
    }
  });
});
