/**
 * Converting both ways keeps what a user wrote: flow -> notebook -> flow keeps the flow's name and
 * docstring, its step names and order, each step's code (modulo whitespace) and docstring, its
 * parameters and its module scope, for every example flow in notebooks/examples/ (the classifier's
 * included). Notebooks whose graph is wrong, and files that are not notebooks, fail through the
 * real `steplab convert` with one line per problem, naming the cell, and write nothing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import {
  buildNotebookGraph,
  cellSource,
  cellTags,
  codeCell,
  flowToNotebook,
  newNotebook,
  notebookToFlow,
  parseNotebook,
  readNotebook,
  serializeNotebook,
  writeNotebook,
  type Notebook,
} from "../notebooks/index.js";
import { lintGraph, parseFlowSource, type FlowGraph } from "../runtime/graph/index.js";
import { Project, ROOT } from "./helpers/cli.js";

const EXAMPLES = path.join(ROOT, "notebooks", "examples");

/** Every example flow file: the chapter's flows and, when present, the classifier's. */
function exampleFlows(): string[] {
  const flows = readdirSync(EXAMPLES)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(EXAMPLES, f));
  const classifier = path.join(EXAMPLES, "classifier");
  if (existsSync(classifier))
    flows.push(
      ...readdirSync(classifier)
        .filter((f) => f.endsWith(".ts"))
        .map((f) => path.join(classifier, f)),
    );
  return flows.sort();
}

const FLOWS = exampleFlows();
const rel = (file: string): string => path.relative(EXAMPLES, file);

function checked(source: string, file: string): FlowGraph {
  const graph = parseFlowSource(source, file);
  expect(lintGraph(graph, source), `${file} lint`).toEqual([]);
  return graph;
}

const squash = (code: string): string => code.replace(/\s+/g, "");

/** A step's body (comments included), whitespace removed. */
function body(source: string, graph: FlowGraph, step: string): string {
  const s = graph.steps.find((x) => x.name === step)!;
  return squash(source.slice(s.bodyStart, s.bodyEnd));
}

/** Module scope other than the class and the `steplab` import, whitespace removed. */
function moduleScope(source: string): string {
  const sf = ts.createSourceFile("f.ts", source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  return sf.statements
    .filter((st) => !ts.isClassDeclaration(st))
    .filter((st) => !(ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier) && st.moduleSpecifier.text === "steplab"))
    .map((st) => squash(st.getFullText(sf)))
    .join("\n");
}

/** Through the file format, as a user's saved notebook. */
function throughFile(nb: Notebook, name: string): Notebook {
  return parseNotebook(serializeNotebook(nb), name);
}

describe.each(FLOWS.map((file) => ({ file, name: rel(file) })))("round trip of $name", ({ file, name }) => {
  const source = readFileSync(file, "utf8");
  const nbName = name.replace(/\.ts$/, ".ipynb");

  it("flow -> notebook -> flow keeps names, order, code, docstrings and parameters", () => {
    const before = checked(source, name);
    const nb = throughFile(flowToNotebook(source, name), nbName);
    // A different file name: the %flow cell keeps the class name.
    const again = notebookToFlow(nb, { file: "renamed_notebook.ipynb" });
    const after = checked(again, "renamed_notebook.ts");

    expect(after.name).toBe(before.name);
    expect(after.doc).toBe(before.doc);
    expect(after.steps.map((s) => s.name)).toEqual(before.steps.map((s) => s.name));
    const shape = (g: FlowGraph) => g.steps.map((s) => ({ name: s.name, next: s.next, foreach: s.foreach, isJoin: s.isJoin, doc: s.doc }));
    expect(shape(after)).toEqual(shape(before));
    for (const s of before.steps) expect(body(again, after, s.name), `step ${s.name}`).toBe(body(source, before, s.name));

    const params = (g: FlowGraph) =>
      g.parameters
        .filter((p) => p.kind !== "includefile")
        .map((p) => ({ field: p.field, name: p.name, default: p.default, help: p.help, required: p.required, type: p.type }));
    expect(params(after)).toEqual(params(before));
    expect(moduleScope(again)).toBe(moduleScope(source));
  });

  it("an IncludeFile cannot be a notebook parameter, and the notebook says so", () => {
    const includes = parseFlowSource(source, name).parameters.filter((p) => p.kind === "includefile");
    const nb = flowToNotebook(source, name);
    const parametersCell = nb.cells.map(cellSource).find((s) => s.startsWith("//% parameters")) ?? "";
    for (const p of includes)
      expect(parametersCell).toContain(`// ${p.field} = IncludeFile(${JSON.stringify(p.name)}): a notebook cannot include files`);
  });

  it("converting again changes nothing (flow and notebook are fixpoints)", () => {
    const nb1 = flowToNotebook(source, name);
    const flow2 = notebookToFlow(throughFile(nb1, nbName), { file: nbName });
    const nb2 = flowToNotebook(flow2, name);
    // An IncludeFile is the one thing lost on the way (nb1 says so in a comment, nb2 has none).
    const includes = parseFlowSource(source, name).parameters.some((p) => p.kind === "includefile");
    if (!includes) expect(serializeNotebook(nb2)).toBe(serializeNotebook(nb1));
    expect(notebookToFlow(throughFile(nb2, nbName), { file: nbName })).toBe(flow2);
  });

  it("the notebook shipped next to it declares the same flow", () => {
    const shipped = file.replace(/\.ts$/, ".ipynb");
    if (!existsSync(shipped)) return; // the classifier ships flow files; its notebook is the README's walkthrough
    const nb = readNotebook(shipped);
    expect(nb.nbformat_minor).toBe(5);
    expect(nb.metadata.kernelspec).toMatchObject({ name: "steplab" });
    for (const c of nb.cells) expect(c.id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    const graph = buildNotebookGraph(nb.cells.map((c) => ({ source: cellSource(c), tags: cellTags(c), cellType: c.cell_type })));
    expect(graph.errors).toEqual([]);
    const flow = parseFlowSource(source, name);
    expect(graph.flowName).toBe(flow.name);
    expect(graph.steps.map((s) => ({ name: s.name, next: s.next, foreach: s.foreach, isJoin: s.isJoin, doc: s.doc }))).toEqual(
      flow.steps.map((s) => ({ name: s.name, next: s.next, foreach: s.foreach, isJoin: s.isJoin, doc: s.doc })),
    );
    // Every step cell carries its directives twice: as first lines and as Jupyter tags.
    for (const s of graph.steps) {
      const cell = nb.cells[s.cell - 1]!;
      expect(cellSource(cell)).toMatch(new RegExp(`^//% step ${s.name}\\b`));
      expect(cellTags(cell)).toContain(`step:${s.name}`);
      if (s.iterates !== undefined) expect(cellTags(cell)).toContain(`foreach:${s.iterates}`);
    }
    // The shipped notebook is what convert writes (parameters.ipynb differs on purpose: a notebook
    // imports the CSV its flow includes with IncludeFile).
    if (name !== "parameters.ts") expect(serializeNotebook(nb)).toBe(serializeNotebook(flowToNotebook(source, name)));
  });
});

/** Every example notebook, whether or not it has a flow file twin. */
const NOTEBOOKS = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith(".ipynb"))
  .sort();

describe.each(NOTEBOOKS)("round trip of %s", (name) => {
  it("notebook -> flow -> notebook keeps the steps, their docstrings, markdown and skip cells", () => {
    const nb = readNotebook(path.join(EXAMPLES, name));
    const graph = buildNotebookGraph(nb.cells.map((c) => ({ source: cellSource(c), tags: cellTags(c), cellType: c.cell_type })));
    expect(graph.errors).toEqual([]);
    const flow = notebookToFlow(nb, { file: name });
    const flowGraph = checked(flow, name.replace(/\.ipynb$/, ".ts"));
    const steps = graph.steps.map((s) => ({ name: s.name, doc: s.doc }));
    // convert adds an empty end step when the notebook has none.
    if (!steps.some((s) => s.name === "end")) steps.push({ name: "end", doc: undefined });
    expect(flowGraph.steps.map((s) => ({ name: s.name, doc: s.doc }))).toEqual(steps);

    const back = flowToNotebook(flow, name.replace(/\.ipynb$/, ".ts"));
    const texts = (n: Notebook, kind: (c: Notebook["cells"][number]) => boolean) => n.cells.filter(kind).map((c) => cellSource(c).trim());
    const isMarkdown = (c: Notebook["cells"][number]) => c.cell_type === "markdown";
    const isSkip = (c: Notebook["cells"][number]) => cellSource(c).startsWith("//% skip");
    expect(texts(back, isMarkdown)).toEqual(texts(nb, isMarkdown));
    expect(texts(back, isSkip)).toEqual(texts(nb, isSkip));
    // And from there the flow is stable.
    expect(notebookToFlow(throughFile(back, name), { file: name })).toBe(flow);
  });
});

describe("the examples", () => {
  it("include the seed chapter's flows", () => {
    const names = FLOWS.map((f) => parseFlowSource(readFileSync(f, "utf8"), f).name);
    expect(names).toEqual(
      expect.arrayContaining(["HelloFlow", "CounterFlow", "ParameterFlow", "CounterBranchFlow", "ForeachFlow", "WideForeachFlow"]),
    );
  });
});

// ---- through the real command -------------------------------------------------------------------

const project = new Project();
afterAll(() => project.cleanup());

/** Runs `steplab convert` in a fresh folder holding only `files`; returns the result and what the folder holds after. */
async function convertIn(folder: string, files: Record<string, string | Notebook>, args: string[]) {
  const dir = path.join(project.dir, folder);
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) {
    if (typeof content === "string") writeFileSync(path.join(dir, name), content);
    else writeNotebook(path.join(dir, name), content);
  }
  const r = await project.run(["convert", ...args], { cwd: dir });
  return { r, files: readdirSync(dir).sort(), lines: r.stderr.trimEnd().split("\n") };
}

const nb = (...cells: string[]): Notebook => newNotebook(cells.map((c) => codeCell(c)));

describe("graph errors in a notebook name the cell and the fix; nothing is written", () => {
  const cases: { name: string; notebook: Notebook; message: RegExp }[] = [
    {
      name: "a join of branches of different splits",
      notebook: nb(
        "//% step start\nself.a = 1;",
        "//% step b1\nself.x = 1;",
        "//% step b2\n//% prev start\nself.x = 2;",
        "//% step c1\n//% prev b1\nself.y = 1;",
        "//% step c2\n//% prev b1\nself.y = 2;",
        "//% step j\n//% prev b2 c1\nself.z = 1;",
      ),
      message: /^bad\.ipynb: cell 6 \(step j\): joins branches of different splits .*: a join takes the branches of one split/,
    },
    {
      name: "a foreach over an artifact no cell assigns",
      notebook: nb(
        "//% step start\nself.items = [1, 2];",
        "//% step each foreach itemz\nself.v = self.input;",
        "//% step j\nself.t = inputs.length;",
      ),
      message:
        /^bad\.ipynb: cell 2 \(step each\): foreach itemz iterates an artifact no cell above assigns: assign self\.itemz = \[\.\.\.\]/,
    },
    {
      name: "a cycle through prev",
      notebook: nb("//% step start\nself.a = 1;", "//% step b\n//% prev start c\nself.b = 1;", "//% step c\n//% prev b\nself.c = 1;"),
      message: /^bad\.ipynb: cell 2 \(step b\): cells 2, 3 \(steps b, c\) form a cycle/,
    },
    {
      name: "two cells with one step name",
      notebook: nb("//% step start\nself.a = 1;", "//% step work\nself.b = 1;", "//% step work\nself.b = 2;"),
      message: /^bad\.ipynb: cell 3 \(step work\): step name "work" is already used by cell 2: rename one of them/,
    },
  ];
  it.each(cases)("$name", async ({ notebook, message }) => {
    const { r, files, lines } = await convertIn(`graph-${cases.findIndex((c) => c.notebook === notebook)}`, { "bad.ipynb": notebook }, [
      "bad.ipynb",
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(files).toEqual(["bad.ipynb"]);
  });

  it("several problems are one line each", async () => {
    const notebook = nb(
      "//% step start\nself.a = 1;",
      "//% step a\nself.b = 1;",
      "//% step a\nself.b = 2;",
      "//% step c foreach nope\nself.c = 1;",
    );
    const { r, files, lines } = await convertIn("graph-many", { "bad.ipynb": notebook }, ["bad.ipynb", "-o", "out.ts"]);
    expect(r.code).toBe(1);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l).toMatch(/^bad\.ipynb: cell \d+ \(step \w+\): /);
    expect(files).toEqual(["bad.ipynb"]);
  });
});

describe("a file that is not a notebook: one line, no stack trace, nothing written", () => {
  const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]).toString("latin1");
  const cases: { name: string; content: string; message: RegExp }[] = [
    { name: "truncated JSON", content: '{"nbformat": 4, "cells": [', message: /^x\.ipynb is not a notebook: it is not valid JSON \(.+\)$/ },
    { name: "an empty file", content: "", message: /^x\.ipynb is not a notebook: it is not valid JSON/ },
    { name: "a JSON list", content: "[1, 2, 3]\n", message: /^x\.ipynb is not a notebook: it holds a list, not a notebook object$/ },
    {
      name: "a package.json",
      content: '{"name": "x", "version": "1.0.0"}\n',
      message: /^x\.ipynb is not a notebook steplab can read: it has no nbformat field/,
    },
    {
      name: "an nbformat 3 notebook",
      content: '{"nbformat": 3, "worksheets": []}',
      message: /^x\.ipynb is not a notebook steplab can read: it has nbformat 3 \(nbformat 4 expected; re-save it with Jupyter\)$/,
    },
    {
      name: "a cell without source",
      content: '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "source": 5}]}',
      message: /^x\.ipynb: cell 1 has no source text/,
    },
    { name: "an image", content: PNG, message: /^x\.ipynb is not a notebook: it holds binary data, not JSON text$/ },
  ];
  it.each(cases)("$name", async ({ name, content, message }) => {
    const { r, files, lines } = await convertIn(`bad-${cases.findIndex((c) => c.name === name)}`, { "x.ipynb": content }, ["x.ipynb"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f]/);
    expect(files).toEqual(["x.ipynb"]);
  });

  it("a missing notebook and a directory named .ipynb", async () => {
    const missing = await convertIn("bad-missing", {}, ["nope.ipynb"]);
    expect(missing.r.code).toBe(1);
    expect(missing.lines).toEqual(["cannot read notebook nope.ipynb: no such file"]);
    expect(missing.files).toEqual([]);
    const dir = path.join(project.dir, "bad-dir");
    mkdirSync(path.join(dir, "d.ipynb"), { recursive: true });
    const r = await project.run(["convert", "d.ipynb"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("cannot read notebook d.ipynb: it is a directory\n");
    expect(readdirSync(dir)).toEqual(["d.ipynb"]);
  });

  it("a .ts file that is not a flow", async () => {
    const { r, files, lines } = await convertIn("bad-flow", { "x.ts": "export const answer = 42;\n" }, ["x.ts"]);
    expect(r.code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^x\.ts/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(files).toEqual(["x.ts"]);
  });

  it("an existing output is left as it was when the conversion fails", async () => {
    const { r, files } = await convertIn("bad-keep", { "x.ipynb": "not json", "x.ts": "// mine\n" }, ["x.ipynb"]);
    expect(r.code).toBe(1);
    expect(files).toEqual(["x.ipynb", "x.ts"]);
    expect(readFileSync(path.join(project.dir, "bad-keep", "x.ts"), "utf8")).toBe("// mine\n");
  });
});
