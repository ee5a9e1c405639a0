/**
 * steplab gc beside a live notebook session: `steplab gc` (the real command, another process)
 * must leave the session whole — the parameters it stored before its run exists, every task of
 * its run including re-run cells' older tasks, and its input history — and may delete the
 * notebook's run once the session has ended, when asked by name.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createSession, type CellSink } from "../runtime/session/index.js";
import { Project } from "./helpers/cli.js";

const project = new Project();
afterAll(() => project.cleanup());

const quiet: CellSink = { stdout: () => {}, stderr: () => {}, display: () => {}, clearOutput: () => {} };

describe("gc and a notebook session", { timeout: 240_000 }, () => {
  it("keeps what a live session stored and ran; deletes its run after it ends, when named", async () => {
    const session = await createSession({ storeRoot: project.datastore, cwd: project.dir, flowName: "NotebookFlow", historySession: "t" });
    let closed = false;
    try {
      const run = (code: string) => session.execute(code, { sink: quiet });
      // Stored before the notebook's run exists: nothing but the session refers to it yet.
      expect((await run(`//% parameters\nconst motto = "only this notebook says this";`)).status).toBe("ok");
      const first = await project.run(["gc", "--keep-last", "0"]);
      expect(first.code).toBe(0);

      const cell = `//% step start\nself.said = motto + " " + Date.now();\nself.said`;
      const results = [];
      for (let i = 0; i < 3; i++) results.push((await run(cell)).result?.["text/plain"]);
      expect(results[0]).toMatch(/^'only this notebook says this \d+'$/);

      const during = await project.run(["gc", "--keep-last", "0"]);
      expect(during.code).toBe(0);
      const runId = project.flow("NotebookFlow").runs[0]!.id;
      expect(during.stdout).toContain(`Kept NotebookFlow/${runId}: in progress (pid ${process.pid})`);
      const tasks = project.flow("NotebookFlow").runs[0]!.step("start").tasks;
      expect(tasks.map((t) => `'${t.data.said}'`).sort()).toEqual([...results].sort());

      await session.close();
      closed = true;
      const spared = await project.run(["gc", "--keep-last", "0"]);
      expect(spared.stdout).toContain(`Kept NotebookFlow/${runId}: the latest successful run of its flow`);
      const named = await project.run(["gc", `NotebookFlow/${runId}`]);
      expect(named.stdout).toContain("Deleted 1 run (3 tasks):");
      expect(named.stdout).toContain("Deleted 3 artifact blobs"); // its cells' values; `motto` stays pending while this process lives
      expect(
        project
          .openStore()
          .listHistory()
          .map((h) => h.source),
      ).toContain(cell);
    } finally {
      if (!closed) await session.close();
    }
  });
});
