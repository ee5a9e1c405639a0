/**
 * Pictures in a notebook session (real isolates, a real LMDB store in a temp dir): charts as the
 * Vega-Lite bundle plus an SVG drawn on the host, displays kept with the cell's task, `%dag` as
 * SVG with each step's state, `%card` inline, and tslab's display API.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { Task } from "../runtime/client/index.js";
import { createSession, type CellSink, type MimeBundle, type Session } from "../runtime/session/index.js";
import { storeReader } from "../store/index.js";

const VEGALITE = "application/vnd.vegalite.v5+json";

interface Captured extends CellSink {
  out: string[];
  displays: { data: MimeBundle; opts?: { displayId?: string; update?: boolean } }[];
}

function sink(): Captured {
  const c: Captured = {
    out: [],
    displays: [],
    stdout: (t) => void c.out.push(t),
    stderr: (t) => void c.out.push(t),
    display: (data, opts) => void c.displays.push({ data, opts }),
    clearOutput: () => {},
  };
  return c;
}

let dir: string;
let session: Session;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "steplab-pictures-"));
  session = await createSession({ storeRoot: path.join(dir, "store"), cwd: dir, flowName: "SweepFlow" });
});

afterEach(async () => {
  await session.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(code: string) {
  const s = sink();
  const outcome = await session.execute(code, { sink: s });
  return { ...outcome, s };
}

const SWEEP = [
  "//% step start\nself.ks = [1, 3, 5, 7];",
  "//% step train foreach ks\nself.k = self.input; self.accuracy = 1 - self.k / 20;",
  `//% step report
self.results = inputs.map((i) => ({ k: i.k, accuracy: i.accuracy }));
display.chart(self.results, { x: "k", y: "accuracy", mark: "line", title: "accuracy by k" });`,
];

describe("charts in a notebook", () => {
  test("display.chart of a foreach's results sends the Vega-Lite spec, an SVG and a one-line summary", async () => {
    for (const cell of SWEEP.slice(0, 2)) expect((await run(cell)).status).toBe("ok");
    const report = await run(SWEEP[2]!);
    expect(report.error).toBeUndefined();
    expect(report.s.displays).toHaveLength(1);
    const bundle = report.s.displays[0]!.data;
    const spec = bundle[VEGALITE] as { data: { values: { k: number; accuracy: number }[] }; mark: { type: string } };
    expect(spec.data.values).toEqual([
      { k: 1, accuracy: 0.95 },
      { k: 3, accuracy: 0.85 },
      { k: 5, accuracy: 0.75 },
      { k: 7, accuracy: 0.65 },
    ]);
    expect(spec.mark.type).toBe("line");
    const svg = String(bundle["image/svg+xml"]);
    expect(svg).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain("accuracy by k"); // the title is drawn
    expect(bundle["text/plain"]).toBe("accuracy by k: line chart of accuracy by k, 4 rows");

    // The display is kept with the cell's task, for its card.
    const task = Task(report.taskPathspec!, storeReader(session.store));
    expect(task.displays.map((d) => Object.keys(d.data).sort())).toEqual([[VEGALITE, "image/svg+xml", "text/markdown", "text/plain"]]);
  });

  test("display.vegaLite takes a spec; a wrong one is an error in the cell naming display.vegaLite", async () => {
    const ok = await run(`//% skip
display.vegaLite({ data: { values: [{ a: "x", b: 2 }, { a: "y", b: 5 }] }, mark: "bar", encoding: { x: { field: "a", type: "nominal" }, y: { field: "b", type: "quantitative" } } });`);
    expect(ok.error).toBeUndefined();
    expect(ok.s.displays[0]!.data["image/svg+xml"]).toContain("<svg");
    expect(ok.s.displays[0]!.data["text/plain"]).toBe("bar chart of b by a, 2 rows");
    const bad = await run(`//% skip\ndisplay.chart([{ a: 1 }], { x: "a", y: "nope" });`);
    expect(bad.status).toBe("error");
    expect(bad.error?.evalue).toContain("no column 'nope'");
  });
});

describe("%dag and %card", () => {
  test("%dag is an SVG picture whose steps carry their state: fresh, stale, failed, not run", async () => {
    for (const cell of SWEEP) expect((await run(cell)).status).toBe("ok");
    // Re-running the start makes train and report stale.
    expect((await run("//% step start\nself.ks = [1, 3, 5];")).status).toBe("ok");
    const failed = await run(`//% step extra\nthrow new Error("boom")`);
    expect(failed.status).toBe("error");
    const dag = await run("%dag");
    const svg = String(dag.result?.["image/svg+xml"]);
    const stateOf = (step: string) => new RegExp(`<g class="node state-(\\w+)[^"]*" data-step="${step}"`).exec(svg)?.[1];
    expect(stateOf("start")).toBe("fresh");
    expect(stateOf("train")).toBe("stale");
    expect(stateOf("report")).toBe("stale");
    expect(dag.result?.["text/plain"]).toContain("report [stale]");
    // The failed cell is not part of the graph (it never ran); a step that failed after running is.
    expect((await run(`//% step report\nself.results = inputs.map((i) => i.k);\nthrow new Error("late")`)).status).toBe("error");
    const again = String((await run("%dag")).result?.["image/svg+xml"]);
    expect(/<g class="node state-failed[^"]*" data-step="report"/.test(again)).toBe(true);
  });

  test("%card shows a task's card inline and writes it as a page", async () => {
    for (const cell of SWEEP) expect((await run(cell)).status).toBe("ok");
    const card = await run("%card report");
    expect(card.error).toBeUndefined();
    const html = String(card.result?.["text/html"]);
    expect(html).toContain('class="steplab-card"');
    expect(html).toContain('data-step="report"'); // the DAG, this step marked
    expect(html).toMatch(/<g class="node[^"]* marked" data-step="report"/);
    expect(html).toContain('<figure class="display chart"><svg');
    expect(html).toMatch(/<section class="artifact" data-artifact="results">[\s\S]*<td class="num">0.95<\/td>/);
    const file = /: (\/\S+\.html)$/.exec(String(card.result?.["text/plain"]))?.[1];
    expect(readFileSync(file!, "utf8")).toMatch(/^<!doctype html>/);
    const bad = await run("%card nowhere");
    expect(bad.status).toBe("error");
    expect(bad.error?.evalue).toContain("Step nowhere has not run in this notebook");
  });
});

describe("tslab notebooks", () => {
  test("import * as tslab from \"tslab\" gives tslab's display API, backed by steplab's", async () => {
    const out = await run(`//% skip
import * as tslab from "tslab";
tslab.display.html("<b>bold</b>");
tslab.display.markdown("# title");
tslab.display.png(new Uint8Array([137, 80, 78, 71]));
tslab.display.raw("text/csv", "a,b\\n1,2");
const d = tslab.newDisplay();
d.text("first");
d.text("second");`);
    expect(out.error).toBeUndefined();
    const shown = out.s.displays.map((d) => d.data);
    expect(shown[0]!["text/html"]).toBe("<b>bold</b>");
    expect(shown[1]!["text/markdown"]).toBe("# title");
    expect(shown[2]!["image/png"]).toBe(Buffer.from([137, 80, 78, 71]).toString("base64"));
    expect(shown[3]!["text/csv"]).toBe("a,b\n1,2");
    // newDisplay(): one entry, shown then replaced.
    const [first, second] = out.s.displays.slice(4);
    expect(first!.data["text/plain"]).toBe("first");
    expect(second!.data["text/plain"]).toBe("second");
    expect(second!.opts).toMatchObject({ displayId: first!.opts?.displayId, update: true });
    expect(first!.opts?.update).toBe(false);
  });
});
