/**
 * Step fingerprints (the code part of `run --cache`'s key), read from real esbuild bundles of a
 * flow that imports a file of its own and an npm package: an edit changes the fingerprints of the
 * steps whose code it changes, and only theirs; comments never count.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { flowStepFingerprints } from "../runtime/bundle/index.js";

const FLOW = `import { FlowSpec, step } from "steplab";
import { scale } from "./helpers";
import { double } from "tiny-math";

const OFFSET = 10;
function onlyForEnd(x: number): number {
  return x + OFFSET;
}

export class PrintFlow extends FlowSpec {
  declare a: number;
  declare b: number;

  /** The start. */
  @step start() {
    // scaled
    this.a = scale(2);
    this.next(this.middle);
  }

  @step middle() {
    this.b = double(this.a);
    this.next(this.end);
  }

  @step end() {
    console.log(onlyForEnd(this.b));
  }
}
`;
const HELPERS = "export function scale(n: number): number {\n  return n * 3;\n}\n";
const STEPS = ["start", "middle", "end"];

let dir: string;
let stamp = 1_700_000_000;

/** Writes a file with an mtime of its own, so the bundle cache (mtime + size) always sees the edit. */
function write(name: string, text: string): void {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  stamp += 10;
  utimesSync(file, stamp, stamp);
}

function writePackage(version: string, body: string): void {
  write("node_modules/tiny-math/package.json", JSON.stringify({ name: "tiny-math", version, main: "index.js" }));
  write("node_modules/tiny-math/index.js", body);
}

function edit(name: string, from: string, to: string): void {
  const text = readFileSync(path.join(dir, name), "utf8");
  if (!text.includes(from)) throw new Error(`${name} has no '${from}'`);
  write(name, text.replace(from, to));
}

const fingerprints = (target: "isolate" | "process" = "isolate") => flowStepFingerprints(path.join(dir, "flow.ts"), target, STEPS);

/** The steps whose fingerprint `change` changes. */
async function changedBy(change: () => void, target: "isolate" | "process" = "isolate"): Promise<string[]> {
  const before = await fingerprints(target);
  change();
  const after = await fingerprints(target);
  return STEPS.filter((s) => before[s] !== after[s]);
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "steplab-fingerprint-"));
  write("flow.ts", FLOW);
  write("helpers.ts", HELPERS);
  writePackage("1.0.0", "exports.double = (n) => n * 2;\n");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("step fingerprints", () => {
  it("give each step its own fingerprint, the same for the same code", async () => {
    const first = await fingerprints();
    expect(new Set(Object.values(first)).size).toBe(3);
    write("flow.ts", `${FLOW}\n`);
    expect(await fingerprints()).toEqual(first);
  });

  it("ignore comments, docstrings and layout", async () => {
    expect(
      await changedBy(() => {
        edit("flow.ts", "// scaled", "// scaled by three, see helpers.ts");
        edit("flow.ts", "/** The start. */", "/** The first step. */");
        edit("flow.ts", "this.next(this.middle);", "\n\n      this.next(   this.middle );");
      }),
    ).toEqual([]);
  });

  it("change only the step whose body changed", async () => {
    expect(await changedBy(() => edit("flow.ts", "console.log(onlyForEnd(this.b));", 'console.log("b", onlyForEnd(this.b));'))).toEqual([
      "end",
    ]);
  });

  it("change the steps that call a changed helper in an imported file", async () => {
    expect(await changedBy(() => edit("helpers.ts", "n * 3", "n * 4"))).toEqual(["start"]);
  });

  it("change the steps that use a module constant through a helper", async () => {
    expect(await changedBy(() => edit("flow.ts", "const OFFSET = 10;", "const OFFSET = 11;"))).toEqual(["end"]);
  });

  it("change the steps that use a package whose new version changes its code", async () => {
    expect(await changedBy(() => writePackage("1.1.0", "exports.double = (n) => n + n + 0;\n"))).toEqual(["middle"]);
  });

  it("in a process bundle (packages left in node_modules) count the package's version", async () => {
    expect(await changedBy(() => writePackage("1.0.1", "exports.double = (n) => n * 2;\n"), "process")).toEqual(["middle"]);
  });

  it("change only the step whose decorator options changed", async () => {
    expect(await changedBy(() => edit("flow.ts", "@step end()", "@step({ retries: 2 }) end()"))).toEqual(["end"]);
  });

  it("change every step when the class around them or code run at load changes", async () => {
    expect(await changedBy(() => edit("flow.ts", "declare b: number;", "declare b: number;\n  helper() { return 1; }"))).toEqual(STEPS);
    expect(await changedBy(() => edit("helpers.ts", "export function", 'console.log("loading helpers");\nexport function'))).toEqual(STEPS);
  });

  it("do not change when another step changes", async () => {
    expect(await changedBy(() => edit("flow.ts", "this.b = double(this.a);", "this.b = double(this.a) + 1;"))).toEqual(["middle"]);
  });
});
