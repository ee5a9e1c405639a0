/**
 * Charts and DAG pictures drawn on the host: the synchronous SVG is exactly what vega's own
 * (asynchronous) toSVG() draws; display.chart's specs from rows; what a display leaves in a log;
 * the DAG's layout.
 */
import { describe, expect, test } from "vitest";
import { dagSvg, flowDag } from "../runtime/cards/index.js";
import {
  chartSpec,
  chartSummary,
  displayBundle,
  displayLine,
  TaskDisplays,
  vegaLiteSvg,
  vegaLiteSvgAsync,
} from "../runtime/display/index.js";
import { parseFlowSource } from "../runtime/graph/index.js";

const rows = [
  { k: 1, accuracy: 0.9, day: "2026-01-01", model: "knn" },
  { k: 3, accuracy: 0.95, day: "2026-01-02", model: "nb" },
  { k: 5, accuracy: 0.92, day: "2026-01-03", model: "knn" },
];

describe("vegaLiteSvg", () => {
  const specs: [string, object][] = [
    ["a line", chartSpec(rows, { x: "k", y: "accuracy" })],
    ["bars coloured by a column", chartSpec(rows, { x: "model", y: "accuracy", mark: "bar", color: "model" })],
    ["two series over dates", chartSpec(rows, { x: "day", y: ["k", "accuracy"], mark: "line" })],
    [
      "a layered, interactive spec",
      {
        data: { values: rows },
        layer: [
          {
            params: [{ name: "grid", select: "interval", bind: "scales" }],
            mark: "point",
            encoding: { x: { field: "k", type: "quantitative" }, y: { field: "accuracy", type: "quantitative" } },
          },
          { mark: "rule", encoding: { y: { aggregate: "mean", field: "accuracy", type: "quantitative" } } },
        ],
      },
    ],
  ];
  test.each(specs)("draws %s synchronously, exactly as vega's toSVG() does", async (_name, spec) => {
    const svg = vegaLiteSvg(spec);
    expect(svg).toBe(await vegaLiteSvgAsync(spec));
  });

  test("names its clip paths after the picture, so two charts in one page do not share them", () => {
    const a = vegaLiteSvg(specs[3]![1])!;
    const b = vegaLiteSvg({ ...(specs[3]![1] as object), width: 300 })!;
    const ids = (svg: string) => [...svg.matchAll(/id="([^"]*clip[^"]*)"/g)].map((m) => m[1]!);
    expect(ids(a).length).toBeGreaterThan(0);
    expect(ids(a).every((id) => a.includes(`url(#${id})`))).toBe(true);
    expect(ids(a).filter((id) => ids(b).includes(id))).toEqual([]);
    expect(vegaLiteSvg(specs[3]![1])).toBe(a); // the same chart, the same picture
  });

  test("leaves the spec it is given as it was (vega marks the data it ingests)", () => {
    const spec = chartSpec(rows, { x: "k", y: "accuracy" });
    const before = JSON.stringify(spec);
    vegaLiteSvg(spec);
    expect(JSON.stringify(spec)).toBe(before);
    expect(Object.getOwnPropertySymbols((spec.data as { values: object[] }).values[0]!)).toEqual([]);
  });

  test("a spec whose data comes from a URL has no picture, only the spec and a note", () => {
    const bundle = displayBundle("vegalite", { data: { url: "data/cars.json" }, mark: "point" });
    expect(bundle["image/svg+xml"]).toBeUndefined();
    expect(bundle["text/plain"]).toContain("loaded from a URL");
  });

  test("an invalid spec says so, naming display.vegaLite", () => {
    expect(() => displayBundle("vegalite", { mark: { type: "nonsense" } })).toThrow(/display.vegaLite: not a valid Vega-Lite spec/);
    expect(() => displayBundle("vegalite", [1, 2])).toThrow(/display.vegaLite takes a Vega-Lite spec object/);
  });
});

describe("display.chart", () => {
  test("reads field types from the values: numbers, ISO dates, categories; bars over numbers are ordinal", () => {
    const line = chartSpec(rows, { x: "day", y: "accuracy" }) as any;
    expect(line.encoding.x).toEqual({ field: "day", type: "temporal" });
    expect(line.encoding.y).toEqual({ field: "accuracy", type: "quantitative" });
    const bar = chartSpec(rows, { x: "k", y: "accuracy", mark: "bar" }) as any;
    expect(bar.encoding.x.type).toBe("ordinal");
    expect(bar.mark).toEqual({ type: "bar", tooltip: true });
    const scatter = chartSpec(rows, { x: "k", y: "accuracy", mark: "scatter", color: "model" }) as any;
    expect(scatter.mark.type).toBe("point");
    expect(scatter.encoding.color).toEqual({ field: "model", type: "nominal" });
  });

  test("several y columns become series; Dates become ISO strings", () => {
    const spec = chartSpec([{ t: new Date(Date.UTC(2026, 0, 1)), a: 1, b: 2 }], { x: "t", y: ["a", "b"] }) as any;
    expect(spec.transform).toEqual([{ fold: ["a", "b"], as: ["series", "value"] }]);
    expect(spec.encoding.color.field).toBe("series");
    expect(spec.data.values[0].t).toBe("2026-01-01T00:00:00.000Z");
    expect(chartSummary(spec)).toBe("line chart of a, b by t, 1 row");
  });

  test("bad rows or columns are errors that say what to pass", () => {
    expect(() => chartSpec([], { x: "k", y: "accuracy" })).toThrow(/non-empty array of rows/);
    expect(() => chartSpec(rows, { x: "k" } as never)).toThrow(/display.chart\(rows, \{ x: "k", y: "accuracy"/);
    expect(() => chartSpec(rows, { x: "k", y: "acc" })).toThrow(
      "display.chart: no column 'acc' in the rows (columns: k, accuracy, day, model)",
    );
    expect(() => chartSpec(rows, { x: "k", y: "accuracy", mark: "pie" as never })).toThrow(/mark 'pie' is not one of line, bar, scatter/);
  });
});

describe("what a task keeps of its displays", () => {
  test("an update replaces the display it names; an update of an unknown one is dropped", () => {
    const shown = new TaskDisplays();
    shown.add({ "text/plain": "0%" }, { displayId: "p" });
    shown.add({ "text/plain": "table" });
    expect(shown.add({ "text/plain": "100%" }, { displayId: "p", update: true })).toBe(true);
    expect(shown.add({ "text/plain": "?" }, { displayId: "other", update: true })).toBe(false);
    expect(shown.list.map((d) => d.data["text/plain"])).toEqual(["100%", "table"]);
  });

  test("each display leaves a readable line in a flow task's log", () => {
    expect(displayLine(displayBundle("chart", { rows, options: { x: "k", y: "accuracy", title: "acc" } }))).toBe(
      "[chart] acc: line chart of accuracy by k, 3 rows (see the task's card)\n",
    );
    expect(displayLine(displayBundle("markdown", "**done**"))).toBe("**done**\n");
    expect(displayLine(displayBundle("html", "<b>x</b>"))).toBe("[HTML, 8 B] (see the task's card)\n");
    expect(displayLine(displayBundle("png", new Uint8Array([1, 2, 3])))).toBe("[PNG image, 4 B] (see the task's card)\n");
    expect(displayLine(displayBundle("table", [{ a: 1 }]))).toBe("a\n─\n1\n");
  });

  test("tslab's raw display keeps text types as text and encodes bytes as base64", () => {
    expect(displayBundle("raw", { mime: "text/csv", value: "a,b" })).toEqual({ "text/plain": "<text/csv>", "text/csv": "a,b" });
    expect(displayBundle("raw", { mime: "application/pdf", value: new Uint8Array([37, 80]) })["application/pdf"]).toBe("JVA=");
    expect(() => displayBundle("raw", { mime: "nope", value: "x" })).toThrow(/display.raw takes a MIME type/);
  });
});

describe("the DAG as SVG", () => {
  const graph = parseFlowSource(
    `import { FlowSpec, step } from "steplab";
export class F extends FlowSpec {
  @step start() { this.items = [1, 2]; this.next(this.each, { foreach: "items" }); }
  @step each() { this.next(this.join); }
  @step join(inputs) { this.next(this.end); }
  @step end() {}
}`,
    "f.ts",
  );

  test("lays out every step top to bottom, edges between them, the foreach labelled, one step marked", () => {
    const svg = dagSvg(flowDag(graph), { marked: "each" });
    const nodes = [...svg.matchAll(/<g class="node[^"]*" data-step="(\w+)">\n<rect x="[\d.-]+" y="([\d.-]+)"/g)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    expect(nodes.map((n) => n[0])).toEqual(["start", "each", "join", "end"]);
    const ys = nodes.map((n) => n[1] as number);
    expect([...ys].sort((a, b) => a - b)).toEqual(ys); // each rank below the one before
    expect([...svg.matchAll(/class="edge" data-from="(\w+)" data-to="(\w+)"/g)].map((m) => `${m[1]}>${m[2]}`)).toEqual([
      "start>each",
      "each>join",
      "join>end",
    ]);
    expect(svg).toContain(">foreach items</text>");
    expect(svg).toMatch(/<g class="node state-pending marked" data-step="each">/);
  });

  test("escapes what it draws", () => {
    const svg = dagSvg({ nodes: [{ name: "a<b>", detail: "x & y" }], edges: [] }, { title: `"T"` });
    expect(svg).toContain("a&lt;b&gt;");
    expect(svg).toContain("x &amp; y");
    expect(svg).not.toContain("<b>");
  });
});
