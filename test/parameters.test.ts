/**
 * SPEC §6 parameters, through `run`, `help` and runFlow() in a notebook cell, which share one
 * resolution (runtime/parameters): defaults computed when the flow loads, the type help shows,
 * a parameter's artifact named by its field only, a JSONType string default parsed.
 */
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSession, type CellSink } from "../runtime/session/index.js";
import { Task } from "../runtime/client/index.js";
import { storeReader } from "../store/index.js";
import { FLOWS, Project, runIdOf } from "./helpers/cli.js";

const project = new Project();
const file = path.join(FLOWS, "computed-defaults.ts");
afterAll(() => project.cleanup());

const startOf = (runId: string) =>
  project
    .flow("ComputedDefaultsFlow")
    .runs.find((r) => r.id === runId)!
    .step("start").task;

describe("computed defaults", () => {
  it("help evaluates them and shows each parameter's type", async () => {
    const r = await project.run([file, "help"], { env: { STEPLAB_FIXTURE_N: "7" } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--bucket STRING  Where to write; default: "s3://default"; env STEPLAB_RUN_BUCKET');
    expect(r.stdout).toContain("--n NUMBER  default: 7; env STEPLAB_RUN_N");
    expect(r.stdout).toContain("--width NUMBER  default: 4;");
    expect(r.stdout).toContain('--config JSONTYPE  default: {"some":"default"};');
  });

  it("run evaluates them when the flow loads, with the environment it runs in", async () => {
    const r = await project.run([file, "run"], { env: { STEPLAB_FIXTURE_BUCKET: "s3://mine", STEPLAB_FIXTURE_N: "7" } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const start = startOf(runIdOf(r.stdout));
    expect(start.data.seen).toEqual({ bucket: "s3://mine", n: 7, width: 4, config: { some: "default" }, configKeys: ["some"] });
    expect(start.data.words).toEqual(["a", "b", "c"]);
    expect(start.data.words_csv).toBe("a,b,c");
    expect(start.artifacts.find((a) => a.name === "n")!.type).toBe("number");
  });

  it("values given on the command line are converted by the default's type", async () => {
    const r = await project.run([file, "run", "--n", "9", "--words", "x,y", "--config", '{"depth": 2}']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const start = startOf(runIdOf(r.stdout));
    expect(start.data.seen).toMatchObject({ n: 9, bucket: "s3://default", config: { depth: 2 } });
    expect(start.data.words).toEqual(["x", "y"]);
    const bad = await project.run([file, "run", "--n", "many"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Invalid value for '--n': 'many' is not a valid number");
  });

  it("a default whose code throws fails the command, naming the flow and the error", async () => {
    const broken = path.join(FLOWS, "broken-default.ts");
    const r = await project.run([broken, "run"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Evaluating the parameter defaults of BrokenDefaultFlow (loading its code) failed");
    expect(r.stderr).toMatch(/SyntaxError: .*JSON/);
    expect(r.stdout).not.toContain("Workflow starting");
    const help = await project.run([broken, "help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--settings JSONTYPE {2}default: computed by JSON\.parse\(.*\) \(could not be evaluated: SyntaxError/);
    const given = await project.run([broken, "run", "--settings", '{"ok": true}']);
    expect(given.code, given.stdout + given.stderr).toBe(0);
  });
});

describe("runFlow() in a cell resolves parameters as run does", () => {
  it("converts strings by type, evaluates computed defaults, and names an unknown parameter", async () => {
    const session = await createSession({ storeRoot: path.join(project.dir, "nb-store"), cwd: project.dir, flowName: "ParamsNotebook" });
    try {
      const printed: string[] = [];
      const sink: CellSink = { stdout: (t) => printed.push(t), stderr: (t) => printed.push(t), display: () => {}, clearOutput: () => {} };
      const ok = await session.execute(`const run = await runFlow(${JSON.stringify(file)}, { n: "5", words_csv: "p,q" });\nrun.pathspec`, {
        sink,
      });
      expect(ok.error, printed.join("")).toBeUndefined();
      const pathspec = String(ok.result?.["text/plain"]).replace(/'/g, "");
      const start = Task(`${pathspec}/start/1`, storeReader(session.store));
      expect(start.data.seen).toMatchObject({ n: 5, width: 4, bucket: "s3://default", configKeys: ["some"] });
      expect(start.data.words).toEqual(["p", "q"]);
      const unknown = await session.execute(`await runFlow(${JSON.stringify(file)}, { nope: 1 })`, { sink });
      expect(unknown.error?.evalue).toContain("ComputedDefaultsFlow has no parameter 'nope'");
      const wrong = await session.execute(`await runFlow(${JSON.stringify(file)}, { n: true })`, { sink });
      expect(wrong.error?.evalue).toContain("Invalid value for '--n': it takes a number, got boolean true");
    } finally {
      await session.close();
    }
  });
});
