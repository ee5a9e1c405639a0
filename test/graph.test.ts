import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  formatLint,
  formatShow,
  GraphError,
  lintGraph,
  parentsOf,
  parseFlowFile,
  parseFlowSource,
  splitParents,
  splitStacks,
  checkFlowFile,
  type LintProblem,
} from "../runtime/graph/index.js";

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/flows/${name}.ts`, import.meta.url));

/** Lints a flow source; the source is the class body, wrapped in a flow class. */
function lintSrc(source: string): LintProblem[] {
  return lintGraph(parseFlowSource(source, "flow.ts"), source);
}

function flow(body: string, name = "TestFlow"): string {
  return `import { FlowSpec, step, Parameter, type Inputs } from "steplab";\n\nexport class ${name} extends FlowSpec {\n${body}\n}\n`;
}

/** 1-based line of the first line containing `text`. */
function lineOf(source: string, text: string): number {
  const i = source.split("\n").findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`no line with ${text}`);
  return i + 1;
}

function only(problems: LintProblem[], rule: string): LintProblem {
  const hits = problems.filter((p) => p.rule === rule);
  expect(hits, JSON.stringify(problems, null, 1)).toHaveLength(1);
  return hits[0]!;
}

describe("parseFlowFile", () => {
  it("reads CounterBranchFlow's steps, transitions, docstrings and options", () => {
    const file = fixture("counter-branch");
    const source = readFileSync(file, "utf8");
    const g = parseFlowFile(file);
    expect(g.name).toBe("CounterBranchFlow");
    expect(g.file).toBe(file);
    expect(g.doc).toBe("Counts in two branches and keeps the larger count.");
    expect(g.steps.map((s) => s.name)).toEqual(["start", "add_one", "add_two", "join", "end"]);
    expect(g.steps.map((s) => s.type)).toEqual(["start", "linear", "linear", "join", "end"]);

    const [start, addOne, addTwo, join, end] = g.steps;
    expect(start).toMatchObject({
      line: lineOf(source, "@step start()"),
      doc: "Starting point",
      next: ["add_one", "add_two"],
      isJoin: false,
      options: {},
      decorators: ["@step"],
      inFuncs: [],
      assigns: ["count"],
    });
    expect(start!.foreach).toBeUndefined();
    expect(source.slice(start!.bodyStart, start!.bodyEnd)).toBe(
      "\n    this.count = 0;\n    this.next(this.add_one, this.add_two); // static split\n  ",
    );
    expect(addOne).toMatchObject({
      line: lineOf(source, "  add_one() {"),
      next: ["join"],
      options: { isolation: "process", memoryMb: 512, timeoutSeconds: 10, retries: 2 },
      decorators: ['@step({ isolation: "process", memoryMb: 512, timeoutSeconds: 10, retries: 2 })'],
      inFuncs: ["start"],
      assigns: ["increment", "count"],
    });
    expect(addOne!.doc).toBeUndefined();
    expect(addTwo!.inFuncs).toEqual(["start"]);
    expect(join).toMatchObject({
      doc: "Keeps the larger count.\n  Indented detail line.",
      isJoin: true,
      next: ["end"],
      inFuncs: ["add_one", "add_two"],
      assigns: ["count"],
    });
    expect(end).toMatchObject({ next: [], inFuncs: ["join"], isJoin: false });
    expect(source.slice(g.classStart, g.classEnd)).toMatch(
      /^\/\*\* Counts in two branches[\s\S]*export class CounterBranchFlow[\s\S]*\n}$/,
    );
  });

  it("reads SPEC's CounterBranchFlow verbatim", () => {
    const file = fixture("spec-counter-branch");
    const source = readFileSync(file, "utf8");
    const g = parseFlowFile(file);
    expect(g.name).toBe("CounterBranchFlow");
    expect(g.steps.map((s) => [s.name, s.type, s.next, s.inFuncs, s.isJoin])).toEqual([
      ["start", "start", ["add_one", "add_two"], [], false],
      ["add_one", "linear", ["join"], ["start"], false],
      ["add_two", "linear", ["join"], ["start"], false],
      ["join", "join", ["end"], ["add_one", "add_two"], true],
      ["end", "end", [], ["join"], false],
    ]);
    expect(g.steps[0]!.doc).toBe("Starting point");
    expect(g.steps[0]!.line).toBe(lineOf(source, "@step start()"));
    expect(g.steps.map((s) => s.assigns)).toEqual([["count"], ["increment", "count"], ["increment", "count"], ["count"], []]);
    expect(g.parameters).toEqual([
      {
        field: "animal",
        name: "creature",
        kind: "parameter",
        help: "Specify an animal",
        required: false,
        default: "dog",
        hasDefault: true,
        type: "String",
        line: lineOf(source, "animal = Parameter"),
      },
    ]);
    expect(splitParents(g)).toEqual(new Map([["join", "start"]]));
    expect(lintGraph(g, source)).toEqual([]);
  });

  it("reads parameters: literal defaults, inferred types, computed defaults, IncludeFile", () => {
    const source = readFileSync(fixture("counter-branch"), "utf8");
    const g = parseFlowSource(source, "counter-branch.ts");
    const byField = Object.fromEntries(g.parameters.map((p) => [p.field, p]));
    expect(byField.animal).toEqual({
      field: "animal",
      name: "creature",
      kind: "parameter",
      help: "Specify an animal",
      required: false,
      default: "dog",
      hasDefault: true,
      type: "String",
      line: lineOf(source, "animal = Parameter"),
    });
    expect(byField.times).toMatchObject({ default: -3, type: "Number" });
    expect(byField.verbose).toMatchObject({ default: false, type: "Boolean", hasDefault: true });
    expect(byField.config).toMatchObject({ default: { depth: 2, tags: ["a", "b"] }, type: "JSONType" });
    expect(byField.seed).toMatchObject({ required: true, hasDefault: false, type: "Number" });
    expect(byField.seed!.default).toBeUndefined();
    expect(byField.started).toMatchObject({ hasDefault: true, help: "Computed default" });
    expect("default" in byField.started!).toBe(false);
    expect(byField.label).toMatchObject({ default: "plain template", type: "String" });
    expect(byField.weights).toMatchObject({ default: [0.5, 0.25], type: "JSONType" });
    expect(byField.notes).toMatchObject({ name: "notes", kind: "includefile", isText: true, default: "notes.txt", help: "A notes file" });
    expect(g.parameters.map((p) => p.field)).toEqual([
      "animal",
      "times",
      "verbose",
      "config",
      "seed",
      "started",
      "label",
      "weights",
      "notes",
    ]);
  });

  it("reads HelloWorld, Counter and a process-isolation step", () => {
    const hello = parseFlowFile(fixture("hello-world"));
    expect(hello.name).toBe("HelloFlow");
    expect(hello.doc).toBe("A flow where steplab prints out a message.\n\nRun this flow to validate that steplab is installed correctly.");
    expect(hello.steps.map((s) => [s.name, s.next])).toEqual([
      ["start", ["hello"]],
      ["hello", ["end"]],
      ["end", []],
    ]);
    expect(hello.steps[2]!.doc).toBe("This is the 'end' step.\nAll flows must have an 'end' step, which is the last step in the flow.");

    const counter = parseFlowFile(fixture("counter"));
    expect(counter.steps.map((s) => s.assigns)).toEqual([["count"], ["count"], ["count"]]);
    expect(counter.parameters).toEqual([]);

    const proc = parseFlowFile(fixture("process-step"));
    const hashIt = proc.steps.find((s) => s.name === "hash_it")!;
    expect(hashIt.options).toEqual({ isolation: "process" });
    expect(hashIt.doc).toBe("Needs node:crypto, so it runs in a child process.");
    // module scope (imports, helpers) lies outside the class range
    const source = readFileSync(fixture("process-step"), "utf8");
    expect(source.slice(0, proc.classStart)).toContain("function digest");
  });

  it("reads a foreach and a nested foreach", () => {
    const g = parseFlowFile(fixture("foreach"));
    expect(g.steps.map((s) => [s.name, s.type, s.foreach])).toEqual([
      ["start", "start", "creatures"],
      ["analyze", "linear", undefined],
      ["pick", "join", undefined],
      ["end", "end", undefined],
    ]);
    expect(splitParents(g)).toEqual(new Map([["pick", "start"]]));

    const n = parseFlowFile(fixture("nested-foreach"));
    expect(n.steps.map((s) => [s.name, s.type, s.foreach ?? null])).toEqual([
      ["start", "start", "xs"],
      ["outer", "foreach", "ys"],
      ["inner", "linear", null],
      ["join_inner", "join", null],
      ["join_outer", "join", null],
      ["end", "end", null],
    ]);
    expect(splitParents(n)).toEqual(
      new Map([
        ["join_inner", "outer"],
        ["join_outer", "start"],
      ]),
    );
    expect(splitStacks(n).get("inner")).toEqual(["start", "outer"]);
    expect(splitStacks(n).get("join_inner")).toEqual(["start"]);
    expect(splitStacks(n).get("end")).toEqual([]);
    expect(parentsOf(n, "join_outer")).toEqual(["join_inner"]);
  });

  it("finds every fixture flow lint-free", () => {
    for (const name of ["hello-world", "counter", "counter-branch", "spec-counter-branch", "foreach", "nested-foreach", "process-step"]) {
      expect(checkFlowFile(fixture(name)).problems, name).toEqual([]);
    }
  });

  it("types steps: split, foreach, and a join that splits stays a join", () => {
    const src = flow(`
  @step start() { this.xs = [1]; this.next(this.a, this.b); }
  @step a() { this.next(this.c, { foreach: "xs" }); }
  @step b() { this.next(this.j); }
  @step c() { this.next(this.d); }
  @step d(inputs: Inputs<TestFlow>) { this.next(this.j); }
  @step j(inputs: Inputs<TestFlow>) { this.next(this.end); }
  @step end() {}`);
    const g = parseFlowSource(src, "flow.ts");
    expect(g.steps.map((s) => s.type)).toEqual(["start", "foreach", "linear", "linear", "join", "join", "end"]);
    expect(lintGraph(g, src)).toEqual([]);
    expect(splitParents(g)).toEqual(
      new Map([
        ["d", "a"],
        ["j", "start"],
      ]),
    );
  });
});

describe("GraphError", () => {
  const attempt = (source: string): GraphError => {
    try {
      parseFlowSource(source, "bad.ts");
    } catch (e) {
      expect(e).toBeInstanceOf(GraphError);
      return e as GraphError;
    }
    throw new Error("expected a GraphError");
  };

  it("no flow class", () => {
    const e = attempt(`export class Nope {}\n`);
    expect(e.code).toBe("GRAPH");
    expect(e.file).toBe("bad.ts");
    expect(e.line).toBe(1);
    expect(e.message).toMatch(/must export one class extending FlowSpec/);
  });

  it("a flow class that is not exported", () => {
    const e = attempt(`import { FlowSpec } from "steplab";\nclass A extends FlowSpec {}\n`);
    expect(e.line).toBe(2);
    expect(e.message).toBe("class A extends FlowSpec but is not exported: write `export class A extends FlowSpec`.");
  });

  it("two flow classes", () => {
    const e = attempt(`export class A extends FlowSpec {}\n\nexport class B extends FlowSpec {}\n`);
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/exports two FlowSpec subclasses, A \(line 1\) and B \(line 3\): keep one flow per file/);
  });

  it("a syntax error", () => {
    const e = attempt(`export class A extends FlowSpec {\n  @step start() {\n    this.next(this.end;\n  }\n}\n`);
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/^syntax error: '\)' expected/);
  });

  it("a parameter whose name is not a literal", () => {
    const e = attempt(flow(`  x = Parameter(someName, { default: 1 });\n  @step start() { this.next(this.end); }\n  @step end() {}`));
    expect(e.line).toBe(4);
    expect(e.message).toMatch(/Parameter of field x needs its name as a string literal/);
  });

  it("a missing file", () => {
    expect(() => parseFlowFile("/nonexistent/flow.ts")).toThrow(/cannot read the flow file \(no such file\)/);
  });
});

describe("lint rules", () => {
  it("reserved-name", () => {
    const src = flow(`  @step start() { this.next(this.input); }\n  @step input() { this.next(this.end); }\n  @step end() {}`);
    const p = only(lintSrc(src), "reserved-name");
    expect(p.line).toBe(lineOf(src, "@step input()"));
    expect(p.message).toBe(
      "step name input is reserved (name, next, input, index, cmd, mergeArtifacts belong to the flow object): rename the step.",
    );
    const merge = flow(
      `  @step start() { this.next(this.mergeArtifacts); }\n  @step mergeArtifacts() { this.next(this.end); }\n  @step end() {}`,
    );
    expect(only(lintSrc(merge), "reserved-name").message).toMatch(/^step name mergeArtifacts is reserved/);
  });

  it("step-name", () => {
    const src = flow(`  @step start() { this.next(this.addOne); }\n  @step addOne() { this.next(this.end); }\n  @step end() {}`);
    const p = only(lintSrc(src), "step-name");
    expect(p.line).toBe(5);
    expect(p.message).toBe(
      "step name addOne is not valid: use lowercase letters, digits and underscores, starting with a letter (e.g. add_one).",
    );
  });

  it("duplicate-step", () => {
    const src = flow(`  @step start() { this.next(this.end); }\n  @step start() { this.next(this.end); }\n  @step end() {}`);
    const p = only(lintSrc(src), "duplicate-step");
    expect(p).toEqual({ rule: "duplicate-step", line: 5, message: "step start is defined twice: rename or remove one of them." });
  });

  it("no-start and no-end", () => {
    const noStart = flow(`  @step begin() { this.next(this.end); }\n  @step end() {}`);
    const p = only(lintSrc(noStart), "no-start");
    expect(p.line).toBe(3); // the class line
    expect(p.message).toBe("flow TestFlow has no start step: add `@step start() { ... this.next(this.first_step); }`.");
    const noEnd = flow(`  @step start() { this.next(this.finish); }\n  @step finish() { this.next(this.start); }`);
    const problems = lintSrc(noEnd);
    expect(only(problems, "no-end").message).toBe("flow TestFlow has no end step: add `@step end() {}` and go to it from the last step.");
  });

  it("start-has-incoming", () => {
    const src = flow(`  @step start() { this.next(this.a); }\n  @step a() { this.next(this.start); }\n  @step end() {}`);
    const problems = lintSrc(src);
    const p = only(problems, "start-has-incoming");
    expect(p.line).toBe(lineOf(src, "@step a()"));
    expect(p.message).toBe("step a goes to start: start is the first step and cannot be a target; go to another step.");
    expect(only(problems, "cycle").message).toBe(
      "steps start -> a -> start form a cycle: a flow is a DAG; change step a's this.next(...) so that it does not go back to start.",
    );
  });

  it("start-is-join", () => {
    const src = flow(`  @step start(inputs: Inputs<TestFlow>) { this.next(this.end); }\n  @step end() {}`);
    expect(lintSrc(src)).toEqual([
      {
        rule: "start-is-join",
        line: 4,
        message: "step start must not take `inputs`: start is the first step and has nothing to join; remove the parameter.",
      },
    ]);
  });

  it("end-has-next and end-is-join", () => {
    const src = flow(
      `  @step start() { this.next(this.a, this.b); }\n  @step a() { this.next(this.end); }\n  @step b() { this.next(this.end); }\n  @step end(inputs: Inputs<TestFlow>) { this.next(this.start); }`,
    );
    const problems = lintSrc(src);
    const endLine = lineOf(src, "@step end(");
    expect(only(problems, "end-has-next")).toEqual({
      rule: "end-has-next",
      line: endLine,
      message: "step end must not call this.next(...): end is the last step; remove the call.",
    });
    expect(only(problems, "end-is-join")).toEqual({
      rule: "end-is-join",
      line: endLine,
      message: "step end must not take `inputs`: end is not a join; add a join step before end and remove the parameter.",
    });
  });

  it("join-params: a join takes exactly one parameter", () => {
    const src = flow(
      `  @step start() { this.next(this.a, this.b); }\n  @step a() { this.next(this.j); }\n  @step b() { this.next(this.j); }\n  @step j(inputs: Inputs<TestFlow>, extra: number) { this.next(this.end); }\n  @step end() {}`,
    );
    const p = only(lintSrc(src), "join-params");
    expect(p.line).toBe(lineOf(src, "@step j("));
    expect(p.message).toBe(
      "step j takes 2 parameters: a join takes exactly one, `j(inputs: Inputs<TestFlow>)`, and a step that is not a join takes none.",
    );
  });

  it("join-and-split", () => {
    const src = flow(
      `  @step start() { this.next(this.a, this.b); }\n  @step a() { this.next(this.j); }\n  @step b() { this.next(this.j); }\n  @step j(inputs: Inputs<TestFlow>) { this.next(this.c, this.d); }\n  @step c() { this.next(this.end); }\n  @step d() { this.next(this.end); }\n  @step end() {}`,
    );
    const p = only(lintSrc(src), "join-and-split");
    expect(p.line).toBe(lineOf(src, "@step j("));
    expect(p.message).toBe("step j is a join and a split at once: join in j, then split in a new step that j goes to.");
  });

  it("missing-next", () => {
    const src = flow(`  @step start() { this.x = 1; }\n  @step end() {}`);
    const p = only(lintSrc(src), "missing-next");
    expect(p).toEqual({
      rule: "missing-next",
      line: 4,
      message: "step start has no transition: end it with this.next(this.<step>) (only end has none).",
    });
  });

  it("next-not-last: inside an if", () => {
    const src = flow(`  @step start() {\n    if (Math.random() > 0.5) {\n      this.next(this.end);\n    }\n  }\n  @step end() {}`);
    const problems = lintSrc(src);
    const p = only(problems, "next-not-last");
    expect(p.line).toBe(4);
    expect(p.message).toBe(
      "this.next(...) in step start (line 6) is inside a condition: transitions are static; call this.next(...) once, as the last statement of start, outside any condition or loop.",
    );
    expect(problems.filter((x) => x.rule === "missing-next")).toEqual([]);
  });

  it("next-not-last: code after the call", () => {
    const src = flow(`  @step start() {\n    this.next(this.end);\n    console.log("after");\n  }\n  @step end() {}`);
    const p = only(lintSrc(src), "next-not-last");
    expect(p.message).toBe(
      "this.next(...) must be the last statement of step start (it is at line 5): move the code after it above the call.",
    );
  });

  it("accepts `return this.next(...)` as the last statement", () => {
    expect(lintSrc(flow(`  @step start() { return this.next(this.end); }\n  @step end() {}`))).toEqual([]);
  });

  it("next-twice", () => {
    const src = flow(
      `  @step start() {\n    this.next(this.a);\n    this.next(this.end);\n  }\n  @step a() { this.next(this.end); }\n  @step end() {}`,
    );
    const p = only(lintSrc(src), "next-twice");
    expect(p.line).toBe(4);
    expect(p.message).toBe(
      "step start calls this.next 2 times (lines 5, 6): a step has one transition; call this.next(...) exactly once, as its last statement.",
    );
  });

  it("next-form", () => {
    const src = flow(
      `  @step start() { this.items = [1]; this.next(this.a, this.b, { foreach: "items" }); }\n` +
        `  @step a() { this.next("end"); }\n` +
        `  @step b() { this.next(this.end, { parallel: 2 }); }\n` +
        `  @step end() {}`,
    );
    const twice = flow(`  @step start() { this.next(this.a, this.a); }\n  @step a() { this.next(this.end); }\n  @step end() {}`);
    expect(only(lintSrc(twice), "next-form").message).toBe("step start names a twice in this.next(...): name each next step once.");
    const problems = lintSrc(src).filter((p) => p.rule === "next-form");
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [4, 'a foreach in step start goes to exactly one step, not 2: this.next(this.a, { foreach: "items" }).'],
      [
        5,
        'this.next(...) in step a has an invalid argument "end": use this.next(this.a), this.next(this.a, this.b) or this.next(this.a, { foreach: "items" }).',
      ],
      [6, "this.next(...) in step b has an unknown option parallel: 2: the only option is foreach."],
    ]);
  });

  it("unknown-target", () => {
    const src = flow(`  @step start() { this.next(this.proces); }\n  @step process() { this.next(this.end); }\n  @step end() {}`);
    const p = only(lintSrc(src), "unknown-target");
    expect(p.line).toBe(4);
    expect(p.message).toBe(
      "step start goes to proces, which is not a step of TestFlow: did you mean process? Only methods decorated with @step can be targets.",
    );
  });

  it("cycle", () => {
    const src = flow(
      `  @step start() { this.next(this.a); }\n  @step a() { this.next(this.b); }\n  @step b() { this.next(this.a); }\n  @step end() {}`,
    );
    const problems = lintSrc(src);
    const p = only(problems, "cycle");
    expect(p.line).toBe(lineOf(src, "@step b()"));
    expect(p.message).toBe(
      "steps a -> b -> a form a cycle: a flow is a DAG; change step b's this.next(...) so that it does not go back to a.",
    );
    expect(only(problems, "unreachable").message).toMatch(/^step end is not reachable from start/);
  });

  it("unreachable", () => {
    const src = flow(`  @step start() { this.next(this.end); }\n  @step orphan() { this.next(this.end); }\n  @step end() {}`);
    const p = only(lintSrc(src), "unreachable");
    expect(p).toEqual({
      rule: "unreachable",
      line: 5,
      message: "step orphan is not reachable from start: go to it with this.next(this.orphan) from an earlier step, or remove it.",
    });
  });

  it("join-needs-inputs: several parents but no inputs parameter", () => {
    const src = flow(
      `  @step start() { this.next(this.a, this.b); }\n  @step a() { this.next(this.j); }\n  @step b() { this.next(this.j); }\n  @step j() { this.next(this.end); }\n  @step end() {}`,
    );
    const p = only(lintSrc(src), "join-needs-inputs");
    expect(p.line).toBe(lineOf(src, "@step j()"));
    expect(p.message).toBe(
      "step j is reached from a, b, so it joins branches, but it takes no `inputs`: declare it as `j(inputs: Inputs<TestFlow>)`.",
    );
  });

  it("join-without-split", () => {
    const src = flow(
      `  @step start() { this.next(this.j); }\n  @step j(inputs: Inputs<TestFlow>) { this.next(this.end); }\n  @step end() {}`,
    );
    const p = only(lintSrc(src), "join-without-split");
    expect(p.line).toBe(5);
    expect(p.message).toMatch(/^step j takes `inputs`, so it is a join, but it does not follow a split: remove the `inputs` parameter/);
  });

  it("join-unrelated-splits", () => {
    // b splits into c, d; the join takes a (outer split) with c and d (inner split)
    const src = flow(
      `  @step start() { this.next(this.a, this.b); }\n` +
        `  @step a() { this.next(this.j); }\n` +
        `  @step b() { this.next(this.c, this.d); }\n` +
        `  @step c() { this.next(this.j); }\n` +
        `  @step d() { this.next(this.j); }\n` +
        `  @step j(inputs: Inputs<TestFlow>) { this.next(this.end); }\n` +
        `  @step end() {}`,
    );
    const p = only(lintSrc(src), "join-unrelated-splits");
    expect(p.line).toBe(lineOf(src, "@step j("));
    expect(p.message).toBe(
      "step j joins branches of different splits: a (split at start), c (split at b), d (split at b). A join must close the branches of exactly one split: join the inner split's branches in their own join step first.",
    );
  });

  it("join-branch-mismatch and end-before-join", () => {
    const src = flow(
      `  @step start() { this.next(this.a, this.b, this.c); }\n` +
        `  @step a() { this.next(this.j); }\n` +
        `  @step b() { this.next(this.j); }\n` +
        `  @step c() { this.next(this.end); }\n` +
        `  @step j(inputs: Inputs<TestFlow>) { this.next(this.end); }\n` +
        `  @step end() {}`,
    );
    const problems = lintSrc(src);
    expect(only(problems, "join-branch-mismatch")).toEqual({
      rule: "join-branch-mismatch",
      line: lineOf(src, "@step j("),
      message: "step j joins a, b, but the split at start has 3 branches (a, b, c): branch c must also lead to j.",
    });
    expect(only(problems, "end-before-join")).toEqual({
      rule: "end-before-join",
      line: lineOf(src, "@step c()"),
      message:
        "step c goes to end while the split at start (branches a, b, c) is not joined: add a join step that takes `inputs`, send the branches to it, and go from the join to end.",
    });
    expect(only(problems, "join-needs-inputs").line).toBe(lineOf(src, "@step end()"));
  });

  it("end-before-join: a foreach never joined", () => {
    const src = flow(
      `  @step start() { this.xs = [1]; this.next(this.a, { foreach: "xs" }); }\n  @step a() { this.next(this.end); }\n  @step end() {}`,
    );
    const p = only(lintSrc(src), "end-before-join");
    expect(p.line).toBe(5);
    expect(p.message).toMatch(/^step a goes to end while the split at start \(branches a\) is not joined/);
  });

  it("empty-branch: a foreach straight into its join gets a message and a line", () => {
    const src = flow(
      `  @step start() {\n    this.xs = [1, 2];\n    this.next(this.j, { foreach: "xs" });\n  }\n  @step j(inputs: Inputs<TestFlow>) { this.next(this.end); }\n  @step end() {}`,
    );
    const problems = lintSrc(src);
    expect(problems).toEqual([
      {
        rule: "empty-branch",
        line: 4,
        message:
          'foreach step start goes straight into the join j: add a step between them that runs once per item (it reads this.input), e.g. this.next(this.process, { foreach: "xs" }), and go from it to j.',
      },
    ]);
  });

  it("foreach-missing-artifact", () => {
    const none = flow(
      `  @step start() { this.next(this.a, { foreach: "items" }); }\n  @step a() { this.next(this.j); }\n  @step j(inputs: Inputs<TestFlow>) { this.next(this.end); }\n  @step end() {}`,
    );
    const p = only(lintSrc(none), "foreach-missing-artifact");
    expect(p.line).toBe(4);
    expect(p.message).toBe(
      "step start runs a foreach over items, but no step before it assigns this.items: assign this.items = [...] in start or in every step leading to it.",
    );

    const somePaths = flow(
      `  @step start() { this.next(this.a, this.b); }\n` +
        `  @step a() { this.items = [1]; this.next(this.j); }\n` +
        `  @step b() { this.next(this.j); }\n` +
        `  @step j(inputs: Inputs<TestFlow>) { this.next(this.f, { foreach: "items" }); }\n` +
        `  @step f() { this.next(this.k); }\n` +
        `  @step k(inputs: Inputs<TestFlow>) { this.next(this.end); }\n` +
        `  @step end() {}`,
    );
    const q = only(lintSrc(somePaths), "foreach-missing-artifact");
    expect(q.message).toMatch(/^step j runs a foreach over items, but this.items is not assigned on every path from start to it/);

    const fromParameter = flow(
      `  items = Parameter("items", { default: [1, 2] });\n  @step start() { this.next(this.a, { foreach: "items" }); }\n  @step a() { this.next(this.j); }\n  @step j(inputs: Inputs<TestFlow>) { this.next(this.end); }\n  @step end() {}`,
    );
    expect(lintSrc(fromParameter)).toEqual([]);
  });

  it("step-options", () => {
    const src = flow(`  @step({ isolation: "thread", memoryMb: -1, gpu: 1 }) start() { this.next(this.end); }\n  @step end() {}`);
    const problems = lintSrc(src).filter((p) => p.rule === "step-options");
    expect(problems.map((p) => p.message)).toEqual([
      "@step on start has an unknown option gpu: the options are isolation, memoryMb, timeoutSeconds, retries, catch, cache.",
      'isolation of step start must be "isolate" (the default) or "process".',
      "memoryMb of step start must be a positive number.",
    ]);
    expect(problems.every((p) => p.line === 4)).toBe(true);
    expect(parseFlowSource(src, "flow.ts").steps[0]!.options).toEqual({});
  });

  it("computed parameter defaults: a module constant is a value; other expressions keep their source and the type their shape gives", () => {
    const source = `import { FlowSpec, Parameter, step } from "steplab";
const WIDTH = 4;
const LABEL = \`fixed\`;
export class DefaultsFlow extends FlowSpec {
  width = Parameter("width", { default: WIDTH });
  label = Parameter("label", { default: LABEL });
  n = Parameter("n", { default: Number(process.env.N ?? 3) });
  bucket = Parameter("bucket", { default: process.env.BUCKET ?? "s3://x" });
  name = Parameter("name", { default: \`run-\${Date.now()}\` });
  flag = Parameter("flag", { default: !process.env.QUIET });
  mixed = Parameter("mixed", { default: process.env.M ?? 3 });
  @step start() { this.next(this.end); }
  @step end() {}
}`;
    const byField = Object.fromEntries(parseFlowSource(source, "defaults.ts").parameters.map((p) => [p.field, p]));
    expect(byField.width).toMatchObject({ default: 4, hasDefault: true, type: "Number" });
    expect(byField.label).toMatchObject({ default: "fixed", type: "String" });
    expect(byField.n).toMatchObject({ hasDefault: true, defaultSource: "Number(process.env.N ?? 3)", type: "Number" });
    expect("default" in byField.n!).toBe(false);
    expect(byField.bucket).toMatchObject({ defaultSource: 'process.env.BUCKET ?? "s3://x"', type: "String" });
    expect(byField.name).toMatchObject({ type: "String" });
    expect(byField.flag).toMatchObject({ type: "Boolean" });
    // string or number, depending on the environment: the evaluated default decides.
    expect(byField.mixed!.type).toBeUndefined();
  });

  it("step-options: retries, catch and cache", () => {
    const bad = flow(`  @step({ retries: 1.5, catch: "not a name", cache: "yes" }) start() { this.next(this.end); }\n  @step end() {}`);
    expect(
      lintSrc(bad)
        .filter((p) => p.rule === "step-options")
        .map((p) => p.message),
    ).toEqual([
      "cache of step start must be true or false.",
      'catch of step start must name the artifact that keeps the exception, e.g. catch: "error"; artifact names are identifiers (letters, digits, _ and $, not starting with a digit), as in this.NAME.',
      "retries of step start must be a whole number, 0 or more.",
    ]);
    // A name steplab records for itself is no name for the exception either.
    const recorded = flow(`  @step({ catch: "_status" }) start() { this.next(this.end); }\n  @step end() {}`);
    expect(lintSrc(recorded).map((p) => p.message)).toEqual([
      `catch of step start must name the artifact that keeps the exception, e.g. catch: "error"; steplab records '_status' on every task itself (see dump --private): choose another name.`,
    ]);
    const good = flow(`  @step({ retries: 2, catch: "failure", cache: false }) start() { this.next(this.end); }\n  @step end() {}`);
    expect(lintSrc(good)).toEqual([]);
    expect(parseFlowSource(good, "flow.ts").steps[0]!.options).toEqual({ retries: 2, catch: "failure", cache: false });
  });

  it("duplicate-parameter and parameter-clash", () => {
    const src = flow(
      `  a = Parameter("alpha", { default: 1 });\n  b = Parameter("alpha", { default: 2 });\n  end_ = Parameter("end", { default: 3 });\n  @step start() { this.next(this.end); }\n  @step end() {}`,
    );
    const problems = lintSrc(src);
    expect(only(problems, "duplicate-parameter")).toEqual({
      rule: "duplicate-parameter",
      line: 5,
      message: "parameter alpha is declared twice (also at line 4): give each parameter its own name.",
    });
    expect(only(problems, "parameter-clash").message).toBe(
      "parameter end (field end_) has the name of step end: rename the parameter or the step.",
    );
  });
});

describe("lint output", () => {
  const messy = flow(
    `  @step start() { this.next(this.Bad, this.missing); }\n  @step Bad() { this.next(this.end); }\n  @step stray() {}\n  @step end() {}`,
  );

  it("reports problems sorted by line, the same every time", () => {
    const problems = lintSrc(messy);
    expect(problems.map((p) => [p.line, p.rule])).toEqual([
      [4, "unknown-target"],
      [5, "step-name"],
      [6, "missing-next"],
      [6, "unreachable"],
    ]);
    expect(lintSrc(messy)).toEqual(problems);
  });

  it("formats problems as file:line: message", () => {
    const text = formatLint(lintSrc(messy), "flow.ts");
    expect(text.split("\n")[0]).toBe(
      "flow.ts:4: step start goes to missing, which is not a step of TestFlow: Only methods decorated with @step can be targets.",
    );
    expect(text.split("\n")).toHaveLength(4);
    expect(formatLint([], "flow.ts")).toBe("");
  });

  it("lints a graph without source (graph rules only)", () => {
    const g = parseFlowSource(messy, "flow.ts");
    expect(lintGraph(g).map((p) => p.rule)).toEqual(["unknown-target", "step-name", "missing-next", "unreachable"]);
  });
});

describe("formatShow", () => {
  it("prints CounterBranchFlow like Metaflow's show", () => {
    const g = parseFlowFile(fixture("counter-branch"));
    expect(formatShow(g)).toBe(
      [
        "Flow CounterBranchFlow",
        "    Counts in two branches and keeps the larger count.",
        "",
        "Step start",
        "    Starting point",
        "    => add_one, add_two",
        "",
        '@step({ isolation: "process", memoryMb: 512, timeoutSeconds: 10, retries: 2 })',
        "Step add_one",
        "    ?",
        "    => join",
        "",
        "Step add_two",
        "    ?",
        "    => join",
        "",
        "Step join",
        "    Keeps the larger count.",
        "      Indented detail line.",
        "    => end",
        "",
        "Step end",
        "    ?",
        "",
      ].join("\n"),
    );
  });
});
