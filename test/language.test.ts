/**
 * Cell language support: what Tab and Shift-Tab show in a notebook and what Enter decides in the
 * REPL, through the real TypeScript language service.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { CellLanguageService, typeOfValue, type CellContext } from "../runtime/session/language/index.js";
import { MAGIC_NAMES } from "../runtime/session/index.js";
import { decodeArtifact, encodeArtifact } from "../store/index.js";

/** An artifact as a cell's `self` sees it: stored by the real codec and read back. */
function stored(value: unknown): unknown {
  return decodeArtifact(encodeArtifact(value));
}

const SETUP = `
import { basename } from "node:path";

/**
 * Mean of the numbers.
 * @param values the numbers to average
 */
export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export interface Sample { id: number; label: string }
`;

const artifacts = {
  counts: stored(
    new Map([
      ["bird", 4],
      ["mouse", 5],
    ]),
  ),
  rows: stored([
    { id: 1, label: "cat", score: 0.5 },
    { id: 2, label: "dog", score: 0.75 },
  ]),
  weights: stored(new Float64Array([0.1, 0.2, 0.3])),
  created: stored(new Date(0)),
};

function context(over: Partial<CellContext> = {}): CellContext {
  return {
    setupCode: SETUP,
    artifactTypes: Object.fromEntries(Object.entries(artifacts).map(([k, v]) => [k, typeOfValue(v)])),
    parameters: { alpha: "number", creature: "string" },
    isJoin: false,
    ...over,
  };
}

/** Completion with the cursor where `|` is. */
function complete(svc: CellLanguageService, cell: string, ctx = context()) {
  const cursor = cell.indexOf("|");
  return svc.complete(cell.replace("|", ""), cursor, ctx);
}

let svc: CellLanguageService;
beforeAll(() => {
  svc = new CellLanguageService({ magics: MAGIC_NAMES });
  svc.complete("", 0, context()); // the first request loads the lib files
});

describe("typeOfValue", () => {
  test("describes stored values", () => {
    expect(typeOfValue(artifacts.counts)).toBe("Map<string, number>");
    expect(typeOfValue(artifacts.rows)).toBe("{ id: number; label: string; score: number }[]");
    expect(typeOfValue(artifacts.weights)).toBe("Float64Array");
    expect(typeOfValue(artifacts.created)).toBe("Date");
    expect(typeOfValue(stored(new Uint8Array([1, 2])))).toBe("Uint8Array");
    expect(typeOfValue(stored(new Set(["a"])))).toBe("Set<string>");
    expect(typeOfValue([1, "a", null])).toBe("(number | string | null)[]");
    expect(typeOfValue(10n)).toBe("bigint");
    expect(typeOfValue(/x/)).toBe("RegExp");
    expect(typeOfValue(undefined)).toBe("undefined");
    expect(typeOfValue({ "odd key": 1, ok: true })).toBe('{ "odd key": number; ok: boolean }');
    expect(typeOfValue({ __steplabClass: "Model", json: {} })).toBe("any");
    expect(typeOfValue({ a: { b: { c: { d: 1 } } } })).toBe("{ a: { b: { c: Record<string, any> } } }");
    expect(typeOfValue([])).toBe("any[]");
  });
});

describe("complete", () => {
  test("self. lists the artifacts and parameters", () => {
    const r = complete(svc, "self.|");
    expect(r.matches).toEqual(expect.arrayContaining(["counts", "rows", "weights", "created", "alpha", "creature"]));
    expect(r.cursorStart).toBe(5);
    expect(r.cursorEnd).toBe(5);
    const hints = r.metadata?._jupyter_types_experimental ?? [];
    expect(hints.find((h) => h.text === "counts")).toMatchObject({ start: 5, end: 5, type: "property" });
  });

  test("artifacts keep their types: Map, arrays of records, Float64Array", () => {
    expect(complete(svc, "self.counts.|").matches).toEqual(expect.arrayContaining(["get", "has", "size", "entries"]));
    expect(complete(svc, "self.rows[0].|").matches).toEqual(["id", "label", "score"]);
    expect(complete(svc, "self.rows.map((r) => r.la|)").matches).toEqual(["label"]);
    expect(complete(svc, "self.weights.|").matches).toEqual(expect.arrayContaining(["BYTES_PER_ELEMENT", "subarray"]));
    expect(complete(svc, "self.created.getUTC|").matches).toContain("getUTCFullYear");
  });

  test("a partial word is completed over its own span", () => {
    const r = complete(svc, "const n = 1;\nself.wei|");
    expect(r.matches).toEqual(["weights"]);
    expect(r.cursorStart).toBe("const n = 1;\nself.".length);
    expect(r.cursorEnd).toBe("const n = 1;\nself.wei".length);
    // the cursor inside a word: the whole word is replaced
    const mid = complete(svc, "self.wei|gh + 1");
    expect(mid.matches).toEqual(["weights"]);
    expect([mid.cursorStart, mid.cursorEnd]).toEqual([5, "self.weigh".length]);
  });

  test("setup functions and types, parameters and helpers are global names", () => {
    expect(complete(svc, "const m = mea|").matches).toEqual(["mean"]);
    expect(complete(svc, "const s: Samp|").matches).toEqual(["Sample"]);
    expect(complete(svc, "alp|").matches).toEqual(["alpha"]);
    expect(complete(svc, "crea|").matches).toContain("creature");
    expect(complete(svc, "bas|").matches).toContain("basename");
    expect(complete(svc, "run|").matches).toContain("runFlow");
    // exact-case matches first, then the rest of a case-insensitive match
    expect(complete(svc, "disp|").matches).toEqual(["display", "DisposableStack"]);
    expect(complete(svc, "display.|").matches).toEqual(expect.arrayContaining(["html", "markdown", "json", "png", "svg", "table"]));
  });

  test("client API members", () => {
    expect(complete(svc, 'Flow("HelloFlow").|').matches).toEqual(
      expect.arrayContaining(["latestRun", "runs", "latestSuccessfulRun", "name"]),
    );
    expect(complete(svc, 'Run("HelloFlow/1").step("start").task.|').matches).toEqual(
      expect.arrayContaining(["data", "artifacts", "successful", "finished", "stdout", "stderr", "pathspec"]),
    );
    expect(complete(svc, 'Task("F/1/start/2").artifacts[0].|').matches).toEqual(
      expect.arrayContaining(["name", "size", "type", "sha", "data"]),
    );
    // latestRun may be undefined: members come as optional chaining, replacing the dot
    const r = complete(svc, 'Flow("HelloFlow").latestRun.ste|');
    expect(r.matches).toEqual(["?.step", "?.steps"]);
    expect(r.cursorStart).toBe('Flow("HelloFlow").latestRun'.length);
  });

  test("a join cell's inputs complete array methods and parent step names", () => {
    const ctx = context({ isJoin: true, joinInputNames: ["train", "evaluate"] });
    const r = complete(svc, "inputs.|", ctx);
    expect(r.matches).toEqual(expect.arrayContaining(["map", "reduce", "length", "train", "evaluate"]));
    expect(complete(svc, "inputs.train.|", ctx).matches).toEqual(expect.arrayContaining(["counts", "rows"]));
    expect(complete(svc, "inputs.map((i) => i.ro|)", ctx).matches).toEqual(["rows"]);
    // outside a join there is no `inputs`
    expect(complete(svc, "inpu|").matches).not.toContain("inputs");
  });

  test("a foreach body sees self.input typed and self.index", () => {
    const ctx = context({ isForeach: true, artifactTypes: { ...context().artifactTypes, input: "string" } });
    expect(complete(svc, "self.in|", ctx).matches).toEqual(["index", "input"]);
    expect(complete(svc, "self.input.toUpper|", ctx).matches).toEqual(["toUpperCase"]);
  });

  test("offsets are UTF-16 indices into the cell", () => {
    const cell = 'const s = "é😀";\nself.row|';
    const r = complete(svc, cell);
    expect(r.matches).toEqual(["rows"]);
    expect(r.cursorStart).toBe(cell.indexOf("row"));
  });

  test("array literals, top-level await and cell locals", () => {
    expect(complete(svc, "[1, 2].fil|").matches).toEqual(["fill", "filter"]);
    expect(complete(svc, 'const run = await runFlow("hello.ts");\nrun.|').matches).toEqual(
      expect.arrayContaining(["step", "successful", "data"]),
    );
    expect(complete(svc, "const total = 3;\nconsole.log(tot|)").matches).toEqual(["total"]);
  });

  test("magics and directives", () => {
    expect(complete(svc, "%d|").matches).toEqual(["%dag"]);
    expect(complete(svc, "%r|").matches).toEqual(["%rerun", "%runs", "%rm", "%reset", "%run", "%runall"]);
    expect(complete(svc, "//% st|").matches).toEqual(["step"]);
    // a magic line does not stop the code below it from completing
    expect(complete(svc, "%flow Hello\nself.cou|").matches).toEqual(["counts"]);
  });

  test("a setup cell is module scope", () => {
    const r = complete(svc, "//% setup\nexport function helper() { return 1 }\nhel|", context({ setupCode: "" }));
    expect(r.matches).toEqual(["helper"]);
  });

  test("inside a comment or string there is nothing to complete", () => {
    expect(complete(svc, "// self.|").matches).toEqual([]);
  });
});

describe("inspect", () => {
  test("a setup function shows its signature and JSDoc", () => {
    const code = "const m = mean([1, 2]);";
    const r = svc.inspect(code, code.indexOf("mean") + 2, 0, context());
    expect(r.found).toBe(true);
    expect(r.text).toContain("function mean(values: number[]): number");
    expect(r.text).toContain("Mean of the numbers.");
    expect(r.text).toContain("@param values the numbers to average");
  });

  test("detail level 1 adds the source of a setup definition", () => {
    const code = "mean";
    const r = svc.inspect(code, 4, 1, context());
    expect(r.text).toContain("return values.reduce((a, b) => a + b, 0) / values.length;");
  });

  test("inside a call's parentheses: the signature being called", () => {
    const code = "mean(";
    const r = svc.inspect(code, code.length, 0, context());
    expect(r.found).toBe(true);
    expect(r.text).toContain("mean(values: number[]): number");
  });

  test("artifacts, helpers and parameters", () => {
    expect(svc.inspect("self.counts", 8, 0, context()).text).toContain("counts: Map<string, number>");
    expect(svc.inspect("runFlow", 3, 0, context()).text).toContain(
      "function runFlow(file: string, params?: Record<string, unknown>): Promise<Run>",
    );
    expect(svc.inspect("alpha", 5, 0, context()).text).toContain("const alpha: number");
  });

  test("nothing under the cursor", () => {
    expect(svc.inspect("   ", 1, 0, context())).toEqual({ found: false, text: "" });
  });
});

describe("isComplete", () => {
  const cases: [string, string, string?][] = [
    ["for (let i = 0; i < 3; i++) {", "incomplete", "  "],
    ["if (a) {\n  for (const x of xs) {", "incomplete", "    "],
    ["const x = 1", "complete"],
    ["", "complete"],
    ["const = ;", "invalid"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an unfinished template literal is the input under test
    ["const s = `total: ${n}", "incomplete", ""],
    ["const s = `a ${", "incomplete", ""],
    ["%dag", "complete"],
    ["%flow HelloFlow", "complete"],
    ["//% step start\nself.x = 1;", "complete"],
    ["const y = 1 +", "incomplete", ""],
    ["const f = (x: number) =>", "incomplete", ""],
    ["self.rows.", "incomplete", ""],
    ["foo(1,", "incomplete", "  "],
    ["const s = 'abc\\", "incomplete", ""],
    ["const s = 'abc", "invalid"],
    ["/* a comment", "incomplete", ""],
    ["const r = /[/]/.test(s) / 2", "complete"],
    ["let m: Map<string, number[]>", "complete"],
    ["const v = await runFlow('f.ts')", "complete"],
    ["foo bar", "invalid"],
    ["x)", "invalid"],
    ["if (a) {\n  const = ;", "invalid"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a nested template literal is the input under test
    ["`a${`b${c}`}`", "complete"],
  ];
  test.each(cases)("%j is %s", (code, status, indent) => {
    const r = svc.isComplete(code);
    expect(r.status).toBe(status);
    if (indent !== undefined) expect(r.indent).toBe(indent);
  });
});

test("without @types/node cells still see the sandbox's globals", () => {
  const bare = new CellLanguageService({ nodeTypes: false });
  expect(complete(bare, "console.lo|").matches).toEqual(["log"]);
  expect(complete(bare, "self.cou|").matches).toEqual(["counts"]);
  bare.dispose();
});
