import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  buildNotebookGraph,
  cellSource,
  codeCell,
  DirectiveError,
  markdownCell,
  newNotebook,
  NotebookError,
  parseCell,
  parseParametersCell,
  readNotebook,
  writeNotebook,
  type NotebookCellInput,
} from "../notebooks/index.js";
import { SteplabError } from "../errors/index.js";

const tmp = (): string => mkdtempSync(join(tmpdir(), "steplab-nb-"));

describe("ipynb files", () => {
  it("writes nbformat 4.5 with cell ids and the steplab kernelspec, and reads it back", () => {
    const dir = tmp();
    const nb = newNotebook([codeCell("//% step start\nself.x = 1;", ["step:start"]), markdownCell("# Title")]);
    writeNotebook(join(dir, "a.ipynb"), nb);
    const raw = JSON.parse(readFileSync(join(dir, "a.ipynb"), "utf8"));
    expect(raw.nbformat).toBe(4);
    expect(raw.nbformat_minor).toBe(5);
    expect(raw.metadata.kernelspec).toEqual({ name: "steplab", display_name: "TypeScript (steplab)", language: "typescript" });
    expect(raw.metadata.language_info.name).toBe("typescript");
    expect(raw.cells[0].source).toEqual(["//% step start\n", "self.x = 1;"]);
    expect(raw.cells[0].metadata.tags).toEqual(["step:start"]);
    expect(raw.cells[0].outputs).toEqual([]);
    expect(raw.cells[0].execution_count).toBeNull();
    for (const c of raw.cells) expect(c.id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);

    const back = readNotebook(join(dir, "a.ipynb"));
    expect(back.cells.map((c) => cellSource(c))).toEqual(["//% step start\nself.x = 1;", "# Title"]);
  });

  it("upgrades a 4.4 notebook without cell ids and accepts string sources", () => {
    const dir = tmp();
    const file = join(dir, "old.ipynb");
    writeFileSync(
      file,
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 2,
        metadata: {},
        cells: [{ cell_type: "code", source: "1 + 1", metadata: {}, outputs: [] }],
      }),
    );
    const nb = readNotebook(file);
    expect(nb.nbformat_minor).toBe(5);
    expect(nb.cells[0]!.id).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(cellSource(nb.cells[0]!)).toBe("1 + 1");
  });

  it.each([
    ["not JSON", "{ this is not json", /bad\.ipynb is not a notebook: it is not valid JSON/],
    ["a JSON list", "[1, 2]", /bad\.ipynb is not a notebook: it holds a list/],
    ["nbformat 3", JSON.stringify({ nbformat: 3, worksheets: [] }), /nbformat 3 .*nbformat 4 expected/],
    ["no cells", JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {} }), /has no "cells" list/],
    [
      "a cell without source",
      JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: "code" }] }),
      /cell 1 has no source/,
    ],
  ])("a corrupt file (%s) is one NotebookError line", (_what, text, message) => {
    const dir = tmp();
    const file = join(dir, "bad.ipynb");
    writeFileSync(file, text);
    let err: unknown;
    try {
      readNotebook(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotebookError);
    expect(err).toBeInstanceOf(SteplabError);
    expect((err as NotebookError).code).toBe("NOTEBOOK");
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain("\n");
  });

  it("a missing file says so", () => {
    expect(() => readNotebook("/nonexistent/x.ipynb")).toThrow(/cannot read notebook .*x\.ipynb: no such file/);
  });
});

describe("parseCell", () => {
  it("reads a step name, foreach on the step line, and the docstring", () => {
    const d = parseCell("//% step analyze foreach creatures\n/** Scores one creature */\nself.creature = self.input;\n");
    expect(d).toMatchObject({ kind: "step", step: "analyze", foreach: "creatures", doc: "Scores one creature", bodyLine: 2 });
    expect(d.code).toBe("self.creature = self.input;\n");
    expect(d.body).toContain("/** Scores one creature */");
  });

  it("reads prev and foreach as their own lines, several prev names, commas", () => {
    expect(parseCell("//% step pick\n//% prev a b\nx").prev).toEqual(["a", "b"]);
    expect(parseCell("//% prev a, b\n//% prev c\nx")).toMatchObject({ kind: "step", prev: ["a", "b", "c"] });
    expect(parseCell("//% foreach items\nx")).toMatchObject({ kind: "step", foreach: "items" });
    expect(parseCell("//% step j prev a b\nx")).toMatchObject({ step: "j", prev: ["a", "b"] });
  });

  it("reads setup, parameters and skip", () => {
    expect(parseCell("//% setup\nimport x from 'y';").kind).toBe("setup");
    expect(parseCell("//% parameters\nconst a = 1;").kind).toBe("parameters");
    expect(parseCell("//% skip\nconsole.log(1)").kind).toBe("skip");
  });

  it("reads the same things from Jupyter tags, ignoring other tags", () => {
    expect(parseCell("self.x = 1", ["step:train", "prev:a", "prev:b", "foreach:items", "hide-input"])).toMatchObject({
      kind: "step",
      step: "train",
      prev: ["a", "b"],
      foreach: "items",
    });
    expect(parseCell("x", ["prev:a,b"]).prev).toEqual(["a", "b"]);
    expect(parseCell("x", ["setup"]).kind).toBe("setup");
    expect(parseCell("x", ["parameters"]).kind).toBe("parameters");
    expect(parseCell("x", ["skip"]).kind).toBe("skip");
  });

  it("an unnamed code cell is a step with the default name left to the graph", () => {
    const d = parseCell("self.x = 1");
    expect(d.kind).toBe("step");
    expect(d.step).toBeUndefined();
    expect(d.body).toBe("self.x = 1");
    expect(d.bodyLine).toBe(1);
  });

  it("reads magics", () => {
    expect(parseCell("%flow WordScoresFlow")).toMatchObject({ kind: "magic", magic: { name: "flow", args: "WordScoresFlow" } });
    expect(parseCell("%export out/flow.ts\n")).toMatchObject({ kind: "magic", magic: { name: "export", args: "out/flow.ts" } });
    for (const m of ["dag", "stale", "rerun", "runs"]) expect(parseCell(`%${m}`).magic).toEqual({ name: m, args: "" });
    expect(parseCell("%whatever a b").magic).toEqual({ name: "whatever", args: "a b" });
  });

  it("an unknown directive is an error listing the valid ones", () => {
    let err: unknown;
    try {
      parseCell("//% step a\n//% stepp b\nx");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DirectiveError);
    expect((err as DirectiveError).line).toBe(2);
    expect((err as Error).message).toMatch(
      /unknown directive "\/\/% stepp".*\/\/% step NAME.*\/\/% prev.*\/\/% foreach X.*\/\/% setup.*\/\/% parameters.*\/\/% skip/,
    );
  });

  it("contradictory directives are errors", () => {
    expect(() => parseCell("//% setup\n//% step a\nx")).toThrow(/setup cell is not a step/);
    expect(() => parseCell("//% step a\nx", ["step:b"])).toThrow(/named twice/);
    expect(() => parseCell("//% step 1abc\nx")).toThrow(/valid identifier/);
    expect(() => parseCell("//% setup\n//% skip\n")).toThrow(/setup and skip|skip and setup/);
  });
});

describe("parseParametersCell", () => {
  it("reads const lines with inferred types, docs and tags", () => {
    const ps = parseParametersCell(
      [
        "/** How many rounds */",
        "const rounds = 3;",
        "const name = 'dog';",
        "const verbose = false;",
        "const weights = [0.5, -0.25];",
        "const config = { depth: 2, tags: ['a'] };",
        "/** @name creature @type JSONType */",
        'const animal = "cat";',
        "/** @type Number @required */",
        "const seed = null;",
      ].join("\n"),
    );
    expect(ps.map((p) => [p.name, p.type, p.default, p.line])).toEqual([
      ["rounds", "Number", 3, 2],
      ["name", "String", "dog", 3],
      ["verbose", "Boolean", false, 4],
      ["weights", "JSONType", [0.5, -0.25], 5],
      ["config", "JSONType", { depth: 2, tags: ["a"] }, 6],
      ["animal", "JSONType", "cat", 8],
      ["seed", "Number", null, 10],
    ]);
    expect(ps[0]!.help).toBe("How many rounds");
    expect(ps[5]!.cliName).toBe("creature");
    expect(ps[6]!.required).toBe(true);
  });

  it.each([
    ["let x = 1;", /line 1: `let x = 1;` is not a parameter: write `const name = value`/],
    ["const a = 1;\nconst b = compute();", /line 2: the value of b \(`compute\(\)`\) is not a literal/],
    ["const a = 1;\nconsole.log(a);", /line 2: `console.log\(a\);` is not a parameter/],
    ["const { a } = { a: 1 };", /is not a parameter/],
    ["const a = 1;\nconst a = 2;", /defined twice/],
  ])("rejects %j with the line and the fix", (text, message) => {
    expect(() => parseParametersCell(text)).toThrow(message);
  });
});

const cells = (...sources: (string | [string, string[]])[]): NotebookCellInput[] =>
  sources.map((s) => (typeof s === "string" ? { source: s } : { source: s[0], tags: s[1] }));

describe("buildNotebookGraph", () => {
  it("builds SPEC §4's start -> foreach analyze -> join pick", () => {
    const g = buildNotebookGraph([
      { source: "# Creatures", cellType: "markdown" },
      { source: "//% step start\nself.creatures = ['bird', 'mouse', 'dog'];" },
      { source: "//% step analyze foreach creatures\nself.creature = self.input; self.score = self.creature.length;" },
      { source: "//% step pick\nself.best = inputs.reduce((a, b) => (a.score >= b.score ? a : b)).creature;\nself.best" },
    ]);
    expect(g.errors).toEqual([]);
    expect(g.steps.map((s) => ({ name: s.name, cell: s.cell, parents: s.parents, next: s.next, isJoin: s.isJoin, type: s.type }))).toEqual([
      { name: "start", cell: 2, parents: [], next: ["analyze"], isJoin: false, type: "start" },
      { name: "analyze", cell: 3, parents: ["start"], next: ["pick"], isJoin: false, type: "linear" },
      { name: "pick", cell: 4, parents: ["analyze"], next: [], isJoin: true, type: "join" },
    ]);
    expect(g.steps[0]!.foreach).toBe("creatures");
    expect(g.steps[1]!.iterates).toBe("creatures");
    expect(g.steps[0]!.assigns).toEqual(["creatures"]);
    expect(g.steps[2]!.assigns).toEqual(["best"]);
  });

  it("names unnamed cells cell_N by notebook position and skips non-step cells", () => {
    const g = buildNotebookGraph(
      cells("//% setup\nconst k = 2;", "self.a = 1;", "//% skip\nconsole.log(1)", "%dag", "self.b = self.a + 1;"),
    );
    expect(g.steps.map((s) => [s.name, s.parents])).toEqual([
      ["cell_2", []],
      ["cell_5", ["cell_2"]],
    ]);
    expect(g.cells.map((c) => c.directives?.kind)).toEqual(["setup", "step", "skip", "magic", "step"]);
  });

  it("builds a static split with prev and a join with several parents", () => {
    const g = buildNotebookGraph(
      cells("//% step start\nself.count = 0;", "//% step a\nself.count += 1;", "//% step b\n//% prev start\nself.count += 2;", [
        "self.count = 0;",
        ["step:join", "prev:a,b"],
      ]),
    );
    expect(g.errors).toEqual([]);
    expect(g.steps.map((s) => [s.name, s.parents, s.next, s.isJoin])).toEqual([
      ["start", [], ["a", "b"], false],
      ["a", ["start"], ["join"], false],
      ["b", ["start"], ["join"], false],
      ["join", ["a", "b"], [], true],
    ]);
    expect(g.steps[0]!.type).toBe("start");
  });

  it("nested foreach: each cell after a foreach step closes one level", () => {
    const g = buildNotebookGraph(
      cells(
        "//% step start\nself.xs = [1, 2];",
        "//% step outer foreach xs\nself.ys = ['a'];",
        "//% step inner foreach ys\nself.pair = 1;",
        "//% step join_inner\nself.pairs = 1;",
        "//% step join_outer\nself.all = 1;",
      ),
    );
    expect(g.errors).toEqual([]);
    expect(g.steps.map((s) => [s.name, s.isJoin, s.foreach ?? null])).toEqual([
      ["start", false, "xs"],
      ["outer", false, "ys"],
      ["inner", false, null],
      ["join_inner", true, null],
      ["join_outer", true, null],
    ]);
  });

  it("reads parameters cells and %flow", () => {
    const g = buildNotebookGraph(cells("%flow MyFlow", "//% parameters\nconst n = 3;\nconst label = 'x';", "//% step start\nself.x = n;"));
    expect(g.flowName).toBe("MyFlow");
    expect(g.parameters.map((p) => [p.name, p.type])).toEqual([
      ["n", "Number"],
      ["label", "String"],
    ]);
  });

  const errorsOf = (...sources: (string | [string, string[]])[]): string[] =>
    buildNotebookGraph(cells(...sources)).errors.map((e) => e.message);

  it("a join of branches of different splits names the cell and the fix", () => {
    const msgs = errorsOf(
      "//% step start\nself.v = 0;",
      "//% step a\nself.v = 1;",
      "//% step b\n//% prev start\nself.v = 2;",
      "//% step a1\n//% prev a\nself.v = 3;",
      "//% step a2\n//% prev a\nself.v = 4;",
      "//% step bad\n//% prev a1 b\nself.v = 5;",
    );
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatch(
      /^cell 6 \(step bad\): joins branches of different splits \(a1 from a, b from start\): a join takes the branches of one split/,
    );
  });

  it("a foreach over an artifact no cell above assigns", () => {
    const msgs = errorsOf(
      "//% step start\nself.creatures = [1];",
      "//% step analyze foreach creaturez\nself.c = self.input;",
      "//% step pick\nself.x = 1;",
    );
    expect(msgs).toEqual([
      "cell 2 (step analyze): foreach creaturez iterates an artifact no cell above assigns: assign self.creaturez = [...] in start (cell 1) or an earlier step, or fix the name",
    ]);
    // A parameter is an artifact every step sees, so it can be iterated.
    expect(
      errorsOf(
        "//% parameters\nconst items = [1, 2];",
        "//% step start\nself.a = 1;",
        "//% step each foreach items\nself.b = self.input;",
        "//% step j\nself.c = 1;",
      ),
    ).toEqual([]);
  });

  it("a cycle through prev", () => {
    const msgs = errorsOf("//% step start\nself.a = 1;", "//% step a\n//% prev b\nself.a = 1;", "//% step b\n//% prev a\nself.b = 1;");
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatch(/^cell 2 \(step a\): cells 2, 3 \(steps a, b\) form a cycle/);
  });

  it("two cells with one step name", () => {
    expect(errorsOf("//% step start\nself.a = 1;", "//% step start\nself.b = 1;")).toEqual([
      'cell 2 (step start): step name "start" is already used by cell 1: rename one of them (//% step NEW_NAME)',
    ]);
  });

  it("a prev naming an unknown step lists the steps", () => {
    expect(errorsOf("//% step start\nself.a = 1;", "//% step b\n//% prev strat\nself.b = 1;")).toEqual([
      "cell 2 (step b): //% prev strat names no step (steps: start): fix the name or name that cell with //% step strat",
    ]);
  });

  it("directive and parameters errors carry the cell and line", () => {
    expect(errorsOf("//% step start\nx", "//% bogus\nx")[0]).toMatch(/^cell 2: line 1: unknown directive "\/\/% bogus"/);
    expect(errorsOf("//% parameters\nconst a = 1;\nconst b = f();")[0]).toMatch(/^cell 1: line 3: the value of b/);
    expect(errorsOf("//% step Train\nx")[0]).toMatch(/^cell 1 \(step Train\): step name "Train" must be lowercase/);
    expect(errorsOf("//% step next\nx")[0]).toMatch(/reserved/);
  });

  it("an open graph (no end, unjoined branch) is not an error while prototyping", () => {
    expect(errorsOf("//% step start\nself.a = 1;", "//% step a\nself.a = 2;", "//% step b\n//% prev start\nself.b = 1;")).toEqual([]);
  });
});
