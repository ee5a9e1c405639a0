import { copyFileSync, mkdtempSync, rmSync, existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createSession, type Session } from "../runtime/session/index.js";
import type { CellSink, MimeBundle } from "../runtime/session/index.js";
import { storeReader } from "../store/index.js";
import { Flow } from "../runtime/client/index.js";

interface Captured extends CellSink {
  out: string[];
  err: string[];
  displays: MimeBundle[];
}

function sink(): Captured {
  const c: Captured = {
    out: [],
    err: [],
    displays: [],
    stdout: (t) => void c.out.push(t),
    stderr: (t) => void c.err.push(t),
    display: (d) => void c.displays.push(d),
    clearOutput: () => {},
  };
  return c;
}

let dir: string;
let session: Session;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "steplab-session-"));
  session = await createSession({ storeRoot: path.join(dir, "store"), cwd: dir, flowName: "CreaturesFlow" });
});

afterEach(async () => {
  await session.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(code: string, tags?: string[]) {
  const s = sink();
  const outcome = await session.execute(code, { sink: s, tags });
  return { ...outcome, s };
}

describe("notebook session", () => {
  test("SPEC §4: start, foreach, join; the last expression is the cell's result", async () => {
    const a = await run(`//% step start\nself.creatures = ["bird", "mouse", "dog"];`);
    expect(a.status).toBe("ok");
    const b = await run(`//% step analyze foreach creatures\nself.creature = self.input; self.score = self.creature.length;`);
    expect(b.status).toBe("ok");
    const c = await run(`//% step pick\nself.best = inputs.reduce((a, b) => (a.score >= b.score ? a : b)).creature;\nself.best`);
    expect(c.error).toBeUndefined();
    expect(c.result?.["text/plain"]).toBe("'mouse'");
    expect(session.state.steps.map((s) => s.name)).toEqual(["start", "analyze", "pick"]);

    // The notebook's run is an ordinary run tagged `notebook`, readable by the client API.
    const reader = storeReader(session.store);
    const runObj = Flow("CreaturesFlow", reader).latestRun!;
    expect(runObj.tags).toContain("notebook");
    expect(runObj.step("analyze").tasks).toHaveLength(3);
    expect(runObj.step("pick").task.data.best).toBe("mouse");
  });

  test("console output streams to the cell; errors map to the cell's own lines", async () => {
    const ok = await run(`console.log("hello", 1 + 1);`);
    expect(ok.s.out.join("")).toBe("hello 2\n");
    const bad = await run(`const a = 1;\nconst b = 2;\nthrow new Error("boom on line 3");`);
    expect(bad.status).toBe("error");
    expect(bad.error?.ename).toBe("Error");
    expect(bad.error?.traceback.join("\n")).toMatch(/cell 2, line 3/);
  });

  test("a local of another cell is an error naming that cell and self.NAME", async () => {
    await run(`//% step start\nconst secret = 42;\nself.visible = 1;`);
    const r = await run(`//% step next_one\nsecret + 1`);
    expect(r.status).toBe("error");
    expect(r.error?.evalue).toMatch(/'secret' is a local variable of cell 1 \(step start\)/);
    expect(r.error?.evalue).toMatch(/self\.secret = secret/);
  });

  test("values read from self are copies; re-running a cell makes downstream steps stale", async () => {
    await run(`//% step start\nself.items = [1, 2, 3];`);
    await run(`//% step grow\nself.items.push(4); self.n = self.items.length;`);
    const check = await run(`//% step look\n[self.n, self.items.length]`);
    expect(check.result?.["text/plain"]).toBe("[ 4, 4 ]");
    const reader = storeReader(session.store);
    const start = Flow("CreaturesFlow", reader).latestRun!.step("start").task;
    expect(start.data.items).toEqual([1, 2, 3]);
    await run(`//% step start\nself.items = [9];`);
    expect(session.state.stale).toEqual(["grow", "look"]);
    const magic = await run(`%rerun`);
    expect(magic.status).toBe("ok");
    expect(session.state.stale).toEqual([]);
    const again = await run(`//% step after\nself.n`);
    expect(again.result?.["text/plain"]).toBe("2");
  });

  test("setup cells are shared, parameters are bare names, skip cells create no step", async () => {
    await run(`//% setup\nfunction double(x: number) { return x * 2; }`);
    await run(`//% parameters\nconst alpha = 0.5;`);
    const s = await run(`//% step start\nself.value = double(alpha);\nself.value`);
    expect(s.result?.["text/plain"]).toBe("1");
    const skip = await run(`//% skip\nself.value + 100`);
    expect(skip.result?.["text/plain"]).toBe("101");
    expect(session.state.steps.map((x) => x.name)).toEqual(["start"]);
  });

  test("an infinite loop stops on interrupt; the session and committed artifacts survive", async () => {
    await run(`//% step start\nself.kept = "safe";`);
    const running = run(`//% step spin\nwhile (true) {}`);
    await new Promise((r) => setTimeout(r, 300));
    session.interrupt();
    const r = await running;
    expect(r.status).toBe("error");
    expect(r.error?.evalue).toMatch(/interrupted/);
    const after = await run(`//% step after\n//% prev start\nself.kept`);
    expect(after.result?.["text/plain"]).toBe("'safe'");
  });

  test("a cell that allocates without bound fails with a memory error", async () => {
    const s2 = await createSession({ storeRoot: path.join(dir, "store2"), cwd: dir, memoryMb: 64 });
    try {
      const r = await s2.execute(`const a: number[][] = []; while (true) a.push(new Array(100000).fill(1));`, { sink: sink() });
      expect(r.status).toBe("error");
      expect(r.error?.ename).toBe("TaskMemoryError");
      const ok = await s2.execute(`1 + 1`, { sink: sink() });
      expect(ok.result?.["text/plain"]).toBe("2");
    } finally {
      await s2.close();
    }
  });

  test("magics: %dag, %stale, %export writes a flow file", async () => {
    await run(`%flow WordFlow`);
    await run(`//% step start\nself.words = ["a", "bb"];`);
    const d = await run(`%dag`);
    expect(d.result?.["text/plain"]).toMatch(/start \[task 1\]/);
    const e = await run(`%export word_flow.ts`);
    expect(e.status).toBe("ok");
    const file = path.join(dir, "word_flow.ts");
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, "utf8")).toMatch(/export class WordFlow extends FlowSpec/);
    const unknown = await run(`%nope`);
    expect(unknown.error?.evalue).toMatch(/Unknown magic %nope/);
  });

  test("display() sends MIME bundles; timers after the cell still print", async () => {
    const r = await run(`display.table([{ a: 1, b: "x" }]); setTimeout(() => console.log("later"), 50); 1`);
    expect(r.s.displays[0]?.["text/html"]).toMatch(/<table>/);
    await new Promise((res) => setTimeout(res, 300));
    expect(r.s.out.join("")).toContain("later");
  });

  test("runFlow() runs a flow file from a cell and returns its Run; prompt() asks the front end", async () => {
    copyFileSync(path.join(__dirname, "fixtures", "flows", "hello-world.ts"), path.join(dir, "hello.ts"));
    const s = sink();
    const progress: number[] = [];
    s.progress = (p) => void progress.push(p.done);
    const r = await session.execute(`const run = await runFlow("hello.ts");\n[run.successful, run.step("start").task.data.message]`, {
      sink: s,
    });
    expect(r.error).toBeUndefined();
    expect(r.result?.["text/plain"]).toBe("[ true, 'Metaflow says: Hi!' ]");
    expect(s.out.join("")).toMatch(/Task finished successfully/);
    expect(progress.length).toBeGreaterThan(0);

    const asking = sink();
    asking.input = async (question) => `answer to ${question}`;
    const p = await session.execute(`await prompt("name?")`, { sink: asking });
    expect(p.result?.["text/plain"]).toBe("'answer to name?'");
  });

  test("an interrupt that arrives before the cell's code starts still stops it", async () => {
    await run(`//% step start\nself.kept = 1;`);
    const running = run(`//% step spin\nwhile (true) {}`);
    session.interrupt(); // same tick: the cell is still being compiled
    const r = await running;
    expect(r.status).toBe("error");
    expect(r.error?.ename).toBe("TaskInterruptedError");
    const after = await run(`//% step after\n//% prev start\nself.kept + 1`);
    expect(after.result?.["text/plain"]).toBe("2");
  });
});
