/**
 * SPEC §6 classes: instances of classes defined in the flow's own files come back as instances
 * (methods work) in isolate and process steps; a toJSON()/load() class the flow imports does too;
 * any other class is refused when stored, naming the artifact, the class and the fix; `dump` shows
 * instances under their class name and the client never hands back a plain object or the wrapper.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flowStepFingerprints } from "../runtime/bundle/index.js";
import { registerArtifactClass } from "../store/index.js";
import { Point } from "./fixtures/flows/classes-geometry.js";
import { FLOWS, Project, runIdOf, type CliResult } from "./helpers/cli.js";

const project = new Project();
const flow = (name: string) => path.join(FLOWS, name);
let run: CliResult;

beforeAll(async () => {
  run = await project.run([flow("classes.ts"), "run"]);
}, 120_000);
afterAll(() => project.cleanup());

describe("classes of the flow's own files", () => {
  it("come back as instances with their methods in the next steps, isolate and process alike", () => {
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const tasks = project.flow("ClassesFlow").latestRun!;
    expect(tasks.step("check").task.data.checks).toEqual(["point true 5", "segment true 10 true", "model true setosa"]);
    expect(tasks.step("in_process").task.data.processChecks).toEqual(["point true 5", "segment 10"]);
  });

  it("dump shows an instance under its class name, never the wrapper", async () => {
    const dump = await project.run([flow("classes.ts"), "dump", `${runIdOf(run.stdout)}/start`]);
    expect(dump.code).toBe(0);
    expect(dump.stdout).toMatch(/^point \[size: \d+ type: Point\] = Point \{ x: 3, y: 4 \}$/m);
    expect(dump.stdout).toMatch(/^segments \[size: \d+ type: Map\] = Map\(1\) \{ 'diagonal' => Segment \{ from: Point \{ x: 0, y: 0 \}/m);
    expect(dump.stdout).not.toContain("__steplabClass");
  });

  it("the client says which class to register, and gives an instance once it is registered", () => {
    const task = project.flow("ClassesFlow").latestRun!.step("start").task;
    expect(() => task.data.point).toThrow(
      /Artifact 'point' of ClassesFlow\/\d+\/start\/1 holds an instance of class Point.*registerArtifactClass\(Point\)/,
    );
    registerArtifactClass(Point);
    const point = task.artifact("point").data as Point;
    expect(point).toBeInstanceOf(Point);
    expect(point.norm()).toBe(5);
  });
});

describe("other classes", () => {
  it("an instance of a class the flow neither defines at top level nor registers fails when stored, naming the fix", async () => {
    const r = await project.run([flow("unstorable-class.ts"), "run"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Artifact 'rows' of step 'start' cannot be stored: it holds an instance of class Row (at [1])");
    expect(r.stdout).toContain("registerArtifactClass(Row)");
    const task = project.flow("UnstorableClassFlow").latestRun!.step("start").task;
    expect(task.successful).toBe(false);
    expect(task.exception).toMatchObject({ name: "UnstorableArtifactError", code: "UNSTORABLE_ARTIFACT" });
  });
});

describe("own classes and run --cache", () => {
  it("registering a flow's classes does not tie every step's fingerprint to every class", async () => {
    const file = project.write(
      "two-classes.ts",
      `import { FlowSpec, step } from "steplab";
class A { v = 1; get() { return this.v; } }
class B { w = 2; get() { return this.w; } }
export class TwoClassesFlow extends FlowSpec {
  declare a: A;
  declare b: B;
  @step start() { this.a = new A(); this.next(this.middle); }
  @step middle() { this.b = new B(); this.next(this.end); }
  @step end() {}
}
`,
    );
    const steps = ["start", "middle", "end"];
    const before = await flowStepFingerprints(file, "isolate", steps);
    writeFileSync(file, readFileSync(file, "utf8").replace("w = 2", "w = 3"));
    const after = await flowStepFingerprints(file, "isolate", steps);
    expect(steps.filter((s) => before[s] !== after[s])).toEqual(["middle"]);
  });
});
