/**
 * steplab gc beside a live notebook session, each in its own process as a kernel and a terminal
 * would be: `steplab gc` must leave the session whole — the parameters it stored before its run
 * exists, every task of its run (re-run cells' older tasks too, and although the run reads
 * "succeeded" while its steps are fresh), its input history — and may delete the notebook's run
 * once the session's process has ended, when asked by name.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, Project } from "./helpers/cli.js";

const project = new Project();
afterAll(() => project.cleanup());

const SESSION_MODULE = path.join(path.dirname(BIN), "..", "dist", "runtime", "session", "index.js");

/** A notebook session in a process of its own: each stdin line is a cell (JSON string); it answers each with one JSON line. */
const HOST = `
import { createInterface } from "node:readline";
import { createSession } from ${JSON.stringify(SESSION_MODULE)};
const [storeRoot, cwd] = process.argv.slice(2);
const session = await createSession({ storeRoot, cwd, flowName: "NotebookFlow", historySession: "t" });
const quiet = { stdout: () => {}, stderr: () => {}, display: () => {}, clearOutput: () => {} };
console.log(JSON.stringify({ ready: process.pid }));
for await (const line of createInterface({ input: process.stdin })) {
  const code = JSON.parse(line);
  if (code === "close") break;
  const r = await session.execute(code, { sink: quiet });
  console.log(JSON.stringify({ status: r.status, result: r.result?.["text/plain"], error: r.error?.evalue }));
}
await session.close();
console.log(JSON.stringify({ closed: true }));
`;

function startSession() {
  const file = project.write("session-host.mjs", HOST);
  const child = spawn(process.execPath, ["--no-node-snapshot", file, project.datastore, project.dir], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse((await lines.next()).value as string) as Record<string, unknown>;
  const exited = new Promise((resolve) => child.on("exit", resolve));
  return {
    pid: child.pid!,
    next,
    /** Its stdin closed, the process exits, as a kernel does when its session ends. */
    async end() {
      child.stdin!.end();
      await exited;
    },
    async cell(code: string) {
      child.stdin!.write(`${JSON.stringify(code)}\n`);
      return next();
    },
  };
}

describe("gc and a notebook session", { timeout: 240_000 }, () => {
  it("keeps what a live session stored and ran; deletes its run after it ends, when named", async () => {
    const session = startSession();
    expect(await session.next()).toEqual({ ready: session.pid });
    // Stored before the notebook's run exists: nothing but the session refers to it yet.
    expect(await session.cell(`//% parameters\nconst motto = "only this notebook says this";`)).toMatchObject({ status: "ok" });
    expect((await project.run(["gc", "--keep-last", "0"])).code).toBe(0);

    // Each run of the cell is a new task (cache=false: its value depends on the clock).
    const cell = `//% step start cache=false\nself.said = motto + " " + Date.now();\nself.said`;
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await session.cell(cell)).result);
    expect(results[0]).toMatch(/^'only this notebook says this \d+'$/);
    const [run] = project.flow("NotebookFlow").runs;
    expect(run!.successful).toBe(true); // every step fresh: the run reads succeeded, yet the session goes on

    const during = await project.run(["gc", "--keep-last", "0"]);
    expect(during.code).toBe(0);
    expect(during.stdout).toContain(`Kept NotebookFlow/${run!.id}: in progress (pid ${session.pid})`);
    const tasks = project.flow("NotebookFlow").runs[0]!.step("start").tasks;
    expect(tasks.map((t) => `'${t.data.said}'`).sort()).toEqual([...results].sort());
    expect(await session.cell(`//% step measure\nself.size = self.said.length;\nself.size`)).toMatchObject({ status: "ok" });

    expect(await session.cell("close")).toEqual({ closed: true });
    await session.end();
    const spared = await project.run(["gc", "--keep-last", "0"]);
    expect(spared.stdout).toContain(`Kept NotebookFlow/${run!.id}: the latest successful run of its flow`);
    const named = await project.run(["gc", `NotebookFlow/${run!.id}`]);
    expect(named.stdout).toContain("Deleted 1 run (4 tasks):");
    // The three values of `said`, the length, and `motto` (its writer is gone and only this run had
    // it); and the four cells' values, kept for a reuse to show.
    expect(named.stdout).toContain("Deleted 9 artifact blobs");
    expect(
      project
        .openStore()
        .listHistory()
        .map((h) => h.source),
    ).toContain(cell);
  });
});
