import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import {
  cellSource,
  cellTags,
  codeCell,
  ConvertError,
  flowToNotebook,
  markdownCell,
  newNotebook,
  notebookToFlow,
  readNotebook,
  serializeNotebook,
  writeNotebook,
  type Notebook,
} from "../notebooks/index.js";
import { lintGraph, parseFlowSource, type FlowGraph } from "../runtime/graph/index.js";
import { convertCommand } from "../cli/convert.js";
import { main } from "../cli/main.js";

const tmp = (): string => mkdtempSync(join(tmpdir(), "steplab-convert-"));
const fixture = (name: string): string => readFileSync(join(import.meta.dirname, "fixtures", "flows", name), "utf8");

/** SPEC §4's notebook, with a setup cell, a parameter, markdown and a scratch cell. */
function wordScores(): Notebook {
  return newNotebook([
    markdownCell("# Word scores\nScores each creature."),
    codeCell("//% setup\nfunction score(word: string): number {\n  return word.length;\n}"),
    codeCell("//% parameters\n/** Added to every score */\nconst bonus = 2;"),
    codeCell('//% step start\n/** Starting point */\nself.creatures = ["bird", "mouse", "dog"];'),
    codeCell("//% step analyze foreach creatures\nself.creature = self.input; self.score = score(self.creature) + bonus;"),
    codeCell("//% skip\nFlow('WordScoresFlow').latestRun"),
    codeCell(
      "//% step pick\nself.best = inputs.reduce((a, b) => (a.score >= b.score ? a : b)).creature;\nself.best                                   // the last expression is the cell's result",
    ),
  ]);
}

function checked(source: string, file = "flow.ts"): FlowGraph {
  const graph = parseFlowSource(source, file);
  expect(lintGraph(graph, source)).toEqual([]);
  return graph;
}

function convertError(f: () => unknown): ConvertError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConvertError) return e;
    throw e;
  }
  throw new Error("expected a ConvertError");
}

/** A method body as code, ignoring whitespace and comments. */
function normalized(source: string, graph: FlowGraph, step: string): string {
  const s = graph.steps.find((x) => x.name === step)!;
  const sf = ts.createSourceFile("b.ts", source.slice(s.bodyStart, s.bodyEnd), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const printer = ts.createPrinter({ removeComments: true });
  return sf.statements.map((st) => printer.printNode(ts.EmitHint.Unspecified, st, sf)).join("\n");
}

describe("notebookToFlow", () => {
  it("turns SPEC §4's notebook into a flow that passes the graph lint", () => {
    const flow = notebookToFlow(wordScores(), { file: "notebooks/word_scores.ipynb" });
    expect(flow).toContain('import { FlowSpec, step, Parameter, type Inputs } from "steplab";');
    expect(flow).toContain("function score(word: string): number {\n  return word.length;\n}");
    expect(flow).toContain("export class WordScoresFlow extends FlowSpec {");
    expect(flow).toContain("  declare best: any;\n  declare creature: any;\n  declare creatures: any;\n  declare score: any;\n");
    expect(flow).toContain('  bonus = Parameter("bonus", { help: "Added to every score", default: 2, type: Number });');
    expect(flow).toContain(
      '  /** Starting point */\n  @step start() {\n    this.creatures = ["bird", "mouse", "dog"];\n    this.next(this.analyze, { foreach: "creatures" });\n  }',
    );
    // `self` became `this`, and the bare parameter reference `bonus` reads the parameter.
    expect(flow).toContain("    this.creature = this.input; this.score = score(this.creature) + this.bonus;\n    this.next(this.pick);");
    // The join takes inputs; the display-only last expression is gone.
    expect(flow).toContain(
      "  @step pick(inputs: Inputs<WordScoresFlow>) {\n    this.best = inputs.reduce((a, b) => (a.score >= b.score ? a : b)).creature;\n    this.next(this.end);\n  }",
    );
    expect(flow).not.toMatch(/^\s*this\.best\s*(\/\/.*)?$/m);
    expect(flow).toContain("  @step end() {}");
    // The leading markdown cell is the flow's docstring (what `show` prints).
    expect(flow).toContain("/**\n * # Word scores\n * Scores each creature.\n */\nexport class WordScoresFlow extends FlowSpec {");
    expect(flow).toContain("  // %% [skip]\n  // //% skip\n  // Flow('WordScoresFlow').latestRun\n");

    const graph = checked(flow, "word_scores.ts");
    expect(graph.name).toBe("WordScoresFlow");
    expect(graph.steps.map((s) => [s.name, s.next, s.foreach ?? null, s.isJoin])).toEqual([
      ["start", ["analyze"], "creatures", false],
      ["analyze", ["pick"], null, false],
      ["pick", ["end"], null, true],
      ["end", [], null, false],
    ]);
    expect(graph.steps[0]!.doc).toBe("Starting point");
    expect(graph.doc).toBe("# Word scores\nScores each creature.");
    expect(graph.parameters).toMatchObject([{ field: "bonus", name: "bonus", default: 2, type: "Number", help: "Added to every score" }]);
  });

  it("names the flow from %flow, else the file name, else the option", () => {
    const nb = newNotebook([codeCell("//% step start\nself.a = 1;")]);
    expect(notebookToFlow(nb, { file: "my-words.ipynb" })).toContain("export class MyWordsFlow extends FlowSpec");
    expect(notebookToFlow(nb, { file: "x.ipynb", name: "ChosenFlow" })).toContain("export class ChosenFlow extends FlowSpec");
    nb.cells.unshift(codeCell("%flow FromMagicFlow"));
    expect(notebookToFlow(nb, { file: "x.ipynb" })).toContain("export class FromMagicFlow extends FlowSpec");
  });

  it("adds start when the first step cell is not start, keeping cell_N names", () => {
    const flow = notebookToFlow(newNotebook([codeCell("self.a = 1;"), codeCell("self.b = self.a + 1;\nself.b")]), { file: "quick.ipynb" });
    const graph = checked(flow);
    expect(graph.steps.map((s) => [s.name, s.next])).toEqual([
      ["start", ["cell_1"]],
      ["cell_1", ["cell_2"]],
      ["cell_2", ["end"]],
      ["end", []],
    ]);
  });

  it("rewrites with the AST: shadowed names, self inside functions, await, kept calls", () => {
    const flow = notebookToFlow(
      newNotebook([
        codeCell("//% parameters\nconst alpha = 0.5;"),
        codeCell(
          [
            "//% step start",
            "const f = (alpha: number) => alpha * 2;   // a local alpha, not the parameter",
            "const o = { alpha, self: 1 };",
            "self.scaled = f(alpha);",
            "self.items = [1, 2].map(function (x) { return x * self.scaled; });",
            "self.data = await Promise.resolve('alpha');",
            "console.log(self.data)",
          ].join("\n"),
        ),
      ]),
      { file: "rw.ipynb" },
    );
    expect(flow).toContain("const f = (alpha: number) => alpha * 2;");
    expect(flow).toContain("const o = { alpha: this.alpha, self: 1 };");
    expect(flow).toContain("this.scaled = f(this.alpha);");
    expect(flow).toContain("const self = this;");
    expect(flow).toContain("return x * self.scaled;");
    expect(flow).toContain("this.data = await Promise.resolve('alpha');");
    expect(flow).toContain("console.log(this.data)");
    expect(flow).toContain("@step async start() {");
    expect(flow).toContain("declare data: any;\n  declare items: any;\n  declare scaled: any;");
    checked(flow);
  });

  it("merges steplab imports of setup cells into the header", () => {
    const flow = notebookToFlow(
      newNotebook([
        codeCell('//% setup\nimport { Flow } from "steplab";\nimport { join } from "node:path";'),
        codeCell("//% step start\nself.p = join('a', 'b');"),
      ]),
      { file: "imp.ipynb" },
    );
    expect(flow).toContain('import { FlowSpec, step, Flow } from "steplab";\n\nimport { join } from "node:path";');
    checked(flow);
  });

  it("graph errors name the cell and what to change", () => {
    const err = convertError(() =>
      notebookToFlow(
        newNotebook([
          markdownCell("# t"),
          codeCell("//% step start\nself.creatures = [1];"),
          codeCell("//% step analyze foreach creaturez\nself.x = self.input;"),
        ]),
      ),
    );
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatchObject({ cell: 3, step: "analyze" });
    expect(err.message).toMatch(/^cell 3 \(step analyze\): foreach creaturez iterates an artifact no cell above assigns/);
  });

  it("lint problems of the converted flow are mapped to cells", () => {
    // A split never joined: the added end step joins one branch only.
    const err = convertError(() =>
      notebookToFlow(
        newNotebook([
          codeCell("//% step start\nself.a = 1;"),
          codeCell("//% step a\nself.b = 1;"),
          codeCell("//% step b\n//% prev start\nself.c = 1;"),
        ]),
      ),
    );
    expect(err.problems.length).toBeGreaterThan(0);
    expect(err.problems.some((p) => /^(cell \d+ \(step \w+\)|the end step added by convert|flow): /.test(p.message))).toBe(true);
    for (const p of err.problems) expect(p.message).not.toContain("\n");
  });

  it("imports and syntax errors in step cells are reported with cell and line", () => {
    const err = convertError(() => notebookToFlow(newNotebook([codeCell('//% step start\nimport fs from "node:fs";\nself.a = 1;')])));
    expect(err.message).toBe(
      "cell 1 (step start): line 2: imports belong in a setup cell (//% setup), which is module scope in the flow file",
    );
    const syntax = convertError(() => notebookToFlow(newNotebook([codeCell("//% step start\n/** doc */\nself.a = (1;")])));
    expect(syntax.message).toMatch(/^cell 1 \(step start\): line 3: syntax error: /);
  });

  it("a notebook without step cells says what a step cell is", () => {
    expect(() => notebookToFlow(newNotebook([markdownCell("hi"), codeCell("//% setup\nconst a = 1;")]))).toThrow(/no step cells/);
  });
});

describe("flowToNotebook", () => {
  it("turns SPEC §1's CounterBranchFlow into step cells with directives and tags", () => {
    const nb = flowToNotebook(fixture("spec-counter-branch.ts"), "counter_branch.ts");
    expect(nb.nbformat).toBe(4);
    expect(nb.nbformat_minor).toBe(5);
    expect((nb.metadata.kernelspec as { name: string }).name).toBe("steplab");
    const ids = nb.cells.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    const view = nb.cells.map((c) => ({ tags: cellTags(c), source: cellSource(c) }));
    expect(view).toEqual([
      { tags: [], source: "%flow CounterBranchFlow" },
      { tags: ["parameters"], source: '//% parameters\n/** Specify an animal @name creature */\nconst animal = "dog";' },
      { tags: ["step:start"], source: "//% step start\n/** Starting point */\nself.count = 0;" },
      { tags: ["step:add_one"], source: "//% step add_one\nself.increment = 1; self.count += 1;" },
      { tags: ["step:add_two", "prev:start"], source: "//% step add_two\n//% prev start\nself.increment = 2; self.count += 2;" },
      {
        tags: ["step:join", "prev:add_one,add_two"],
        source: [
          "//% step join",
          "//% prev add_one add_two",
          "// a join takes `inputs`",
          "self.count = Math.max(...inputs.map((i) => i.count));",
          'console.log("count from add_one", inputs.add_one.count);   // by branch name, or inputs[0], or for..of',
          'self.mergeArtifacts(inputs, { exclude: ["increment"] });',
        ].join("\n"),
      },
      { tags: ["step:end"], source: '//% step end\nconsole.log("The final count is", self.count);' },
    ]);
  });

  it("foreach children get `foreach X`; setup keeps other imports and helpers", () => {
    const source = [
      'import { FlowSpec, step, Flow, type Inputs } from "steplab";',
      'import { sum } from "./helpers.js";',
      "",
      "const double = (x: number) => x * 2;",
      "",
      "export class EachFlow extends FlowSpec {",
      "  declare items: number[];",
      "  @step start() {",
      "    this.items = [1, 2, 3];",
      '    this.next(this.each, { foreach: "items" });',
      "  }",
      "  @step each() {",
      "    this.value = double(this.input);",
      "    this.next(this.collect);",
      "  }",
      "  @step collect(inputs: Inputs<EachFlow>) {",
      "    this.total = sum([...inputs].map((i) => i.value));",
      "    this.next(this.end);",
      "  }",
      "  @step end() {}",
      "}",
    ].join("\n");
    const nb = flowToNotebook(source, "each.ts");
    const sources = nb.cells.map((c) => cellSource(c));
    expect(sources[1]).toBe(
      '//% setup\nimport { Flow } from "steplab";\nimport { sum } from "./helpers.js";\n\nconst double = (x: number) => x * 2;',
    );
    expect(sources[3]).toBe("//% step each foreach items\nself.value = double(self.input);");
    expect(cellTags(nb.cells[3]!)).toEqual(["step:each", "foreach:items"]);
    expect(sources[5]).toBe("//% step end");
  });

  it("says when a flow cannot be written as cells (a linear step inside a foreach)", () => {
    const source = [
      'import { FlowSpec, step, type Inputs } from "steplab";',
      "export class DeepFlow extends FlowSpec {",
      '  @step start() { this.xs = [1]; this.next(this.a, { foreach: "xs" }); }',
      "  @step a() { this.y = this.input; this.next(this.b); }",
      "  @step b() { this.z = this.y; this.next(this.j); }",
      "  @step j(inputs: Inputs<DeepFlow>) { this.next(this.end); }",
      "  @step end() {}",
      "}",
    ].join("\n");
    const err = convertError(() => flowToNotebook(source, "deep.ts"));
    expect(err.message).toMatch(/step b \(line 5\): b follows a step inside a foreach without joining it/);
  });

  it("a computed parameter default cannot become a parameters cell", () => {
    expect(() => flowToNotebook(fixture("counter-branch.ts"), "counter-branch.ts")).toThrow(
      /parameter started \(line 13\): its default `Date\.now\(\)` is computed/,
    );
  });
});

describe("round trips", () => {
  it.each(["spec-counter-branch.ts", "nested-foreach.ts", "foreach.ts", "counter.ts", "hello-world.ts"])(
    "flow -> notebook -> flow keeps names, order, code, docstrings and parameters (%s)",
    (name) => {
      const source = fixture(name);
      const before = parseFlowSource(source, name);
      const nb = flowToNotebook(source, name);
      // Through the file format too.
      const dir = tmp();
      writeNotebook(join(dir, "x.ipynb"), nb);
      const again = notebookToFlow(readNotebook(join(dir, "x.ipynb")), { file: join(dir, "x.ipynb") });
      const after = checked(again, "x.ts");
      expect(after.name).toBe(before.name);
      const shape = (g: FlowGraph) =>
        g.steps.map((s) => ({ name: s.name, next: s.next, foreach: s.foreach, isJoin: s.isJoin, doc: s.doc }));
      expect(shape(after)).toEqual(shape(before));
      const params = (g: FlowGraph) =>
        g.parameters.map((p) => ({ field: p.field, name: p.name, default: p.default, help: p.help, required: p.required, type: p.type }));
      expect(params(after)).toEqual(params(before));
      for (const s of before.steps) expect(normalized(again, after, s.name)).toBe(normalized(source, before, s.name));
    },
  );

  it("notebook -> flow -> notebook keeps markdown (the first as the flow's docstring), skip cells, steps and docstrings", () => {
    const flow = notebookToFlow(wordScores(), { file: "word_scores.ipynb" });
    const nb = flowToNotebook(flow, "word_scores.ts");
    const kinds = nb.cells.map((c) => (c.cell_type === "markdown" ? `md:${cellSource(c).split("\n")[0]}` : cellSource(c).split("\n")[0]));
    expect(kinds).toEqual([
      "%flow WordScoresFlow",
      "md:# Word scores",
      "//% setup",
      "//% parameters",
      "//% step start",
      "//% step analyze foreach creatures",
      "//% skip",
      "//% step pick",
      "//% step end",
    ]);
    expect(cellSource(nb.cells[4]!)).toBe('//% step start\n/** Starting point */\nself.creatures = ["bird", "mouse", "dog"];');
    expect(cellSource(nb.cells[5]!)).toBe(
      "//% step analyze foreach creatures\nself.creature = self.input; self.score = score(self.creature) + self.bonus;",
    );
    expect(cellSource(nb.cells[6]!)).toBe("//% skip\nFlow('WordScoresFlow').latestRun");
    expect(cellSource(nb.cells[3]!)).toBe("//% parameters\n/** Added to every score */\nconst bonus = 2;");
    // And it converts back to the same flow.
    expect(notebookToFlow(nb, { file: "other_name.ipynb" })).toBe(flow);
  });
});

describe("steplab convert", () => {
  const io = () => {
    const out = { stdout: "", stderr: "" };
    return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s) } };
  };

  it("notebook -> flow next to the input, and flow -> notebook with -o", async () => {
    const dir = tmp();
    writeNotebook(join(dir, "word_scores.ipynb"), wordScores());
    const a = io();
    expect(await convertCommand([join(dir, "word_scores.ipynb")], a.io)).toBe(0);
    expect(a.out.stdout).toContain(`Wrote ${join(dir, "word_scores.ts")} (flow WordScoresFlow, 4 steps).`);
    const flow = readFileSync(join(dir, "word_scores.ts"), "utf8");
    checked(flow);

    const b = io();
    expect(await convertCommand([join(dir, "word_scores.ts"), "-o", join(dir, "back.ipynb")], b.io)).toBe(0);
    const nb = readNotebook(join(dir, "back.ipynb"));
    expect(nb.cells.some((c) => cellSource(c).startsWith("//% step analyze foreach creatures"))).toBe(true);
    expect(readFileSync(join(dir, "back.ipynb"), "utf8")).toBe(serializeNotebook(nb));
  });

  it("the converted notebook runs as a flow with the notebook's results", async () => {
    const dir = tmp();
    writeNotebook(join(dir, "word_scores.ipynb"), wordScores());
    let out = "";
    const cli = { stdout: (s: string) => void (out += s), stderr: (s: string) => void (out += s) };
    expect(await convertCommand([join(dir, "word_scores.ipynb")], cli)).toBe(0);
    const io = { ...cli, env: { ...process.env, STEPLAB_DATASTORE: join(dir, ".steplab") }, cwd: dir, isTTY: false };
    expect(await main([join(dir, "word_scores.ts"), "run", "--bonus", "5"], io)).toBe(0);
    expect(out).toContain("Foreach yields 3 child steps.");
    const runId = /run-id (\d+)/.exec(out)![1]!;
    out = "";
    expect(await main([join(dir, "word_scores.ts"), "dump", `${runId}/pick`], io)).toBe(0);
    // bird 4+5, mouse 5+5, dog 3+5: the parameter and the setup function reached the steps.
    expect(out).toMatch(/best \[size: \d+ type: string\] = 'mouse'/);
    expect(out).toMatch(/bonus \[size: \d+ type: number\] = 5/);
  });

  it("a corrupt notebook is one line on stderr, exit 1, and nothing written", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "broken.ipynb"), '{"nbformat": 4, "cells": [');
    const r = io();
    expect(await convertCommand([join(dir, "broken.ipynb")], r.io)).toBe(1);
    expect(r.out.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.out.stderr).toMatch(/^broken\.ipynb is not a notebook: it is not valid JSON/);
    expect(readdirSync(dir)).toEqual(["broken.ipynb"]);
  });

  it("a conversion error names the cell, exits 1 and writes nothing", async () => {
    const dir = tmp();
    writeNotebook(
      join(dir, "nb.ipynb"),
      newNotebook([codeCell("//% step start\nself.a = 1;"), codeCell("//% step b\n//% prev nope\nself.b = 1;")]),
    );
    const r = io();
    expect(await convertCommand([join(dir, "nb.ipynb"), "-o", join(dir, "out.ts")], r.io)).toBe(1);
    expect(r.out.stderr).toBe(
      `${join(dir, "nb.ipynb")}: cell 2 (step b): //% prev nope names no step (steps: start): fix the name or name that cell with //% step nope\n`,
    );
    expect(existsSync(join(dir, "out.ts"))).toBe(false);
  });

  it("a flow file that is not a flow is one line with file:line", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "bad.ts"), "export class X {\n  oops(\n}\n");
    const r = io();
    expect(await convertCommand([join(dir, "bad.ts")], r.io)).toBe(1);
    expect(r.out.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.out.stderr).toContain(`${join(dir, "bad.ts")}:`);
    expect(existsSync(join(dir, "bad.ipynb"))).toBe(false);
  });

  it("usage errors exit 2", async () => {
    for (const args of [[], ["a.txt"], ["a.ipynb", "--frobnicate"], ["a.ipynb", "-o"], ["a.ipynb", "b.ipynb"]]) {
      const r = io();
      expect(await convertCommand(args, r.io)).toBe(2);
      expect(r.out.stderr).toMatch(/^steplab convert: /);
    }
    const h = io();
    expect(await convertCommand(["--help"], h.io)).toBe(0);
    expect(h.out.stdout).toContain("steplab convert NOTEBOOK.ipynb [-o FLOW.ts]");
  });
});
