/**
 * Where steps run and what they can store: process steps with Node APIs, Node built-ins refused
 * in isolates, npm packages bundled into isolates, registered classes, structured-clone types,
 * unstorable values, and deduplication of identical artifacts.
 */
import { afterAll, describe, expect, it } from "vitest";
import path from "node:path";
import { FLOWS, Project, taskLines } from "./helpers/cli.js";

const flow = (name: string) => path.join(FLOWS, name);

const project = new Project();
afterAll(() => project.cleanup());

describe("isolation", () => {
  it('@step({ isolation: "process" }) runs in a child process with node:fs', async () => {
    const r = await project.run([flow("process-fs.ts"), "run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("read back written by a process step");
    expect(r.stdout).toContain("end sees written by a process step");
    const run = project.flow("ProcessFsFlow").latestRun!;
    const task = run.step("write_read").task;
    expect(task.data.readBack).toBe("written by a process step");
    const lines = taskLines(r.stdout);
    const hostPid = lines.find((l) => l.step === "start")!.pid;
    expect(task.data.pid).not.toBe(hostPid);
    expect(task.record.pid).toBe(task.data.pid); // the task record keeps the child's pid
  });

  it('a Node built-in used in an isolate step fails naming isolation: "process"', async () => {
    const r = await project.run([flow("builtin-in-isolate.ts"), "run"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("The Node built-in 'fs' is not available in an isolate step");
    expect(r.stdout).toContain('@step({ isolation: "process" })');
    expect(r.stdout).toMatch(/at start \(.*builtin-in-isolate\.ts:9:\d+\)/);
    expect(r.stdout).not.toContain("node-builtin:");
  });
});

describe("artifacts", () => {
  it("an npm package (ml-knn) works inside isolates; a registered class round-trips", async () => {
    const r = await project.run([flow("knn.ts"), "run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/model is KNN accuracy 0\.9\d\d/);
    const run = project.flow("KnnFlow").latestRun!;
    const start = run.step("start").task;
    expect(start.artifacts.find((a) => a.name === "model")!.type).toBe("KNN");
    expect(run.step("predict").task.data.modelClass).toBe("KNN");
    expect(run.step("predict").task.data.predictions).toEqual(["setosa", "setosa", "setosa"]);
  });

  it("structured-clone types survive a step boundary and the store", async () => {
    const r = await project.run([flow("clone-types.ts"), "run"]);
    expect(r.code).toBe(0);
    const checks = project.flow("CloneTypesFlow").latestRun!.step("check").task.data.checks;
    expect(checks).toEqual([
      "map:true:1+2",
      "set:true:xy",
      "date:true:2024-01-02T03:04:05.678Z",
      `big:bigint:${(2n ** 70n).toString()}`,
      `floats:true:1.5,-2.25,${Math.PI}`,
      "bytes:true:0,1,254,255",
      "pattern:true:ab+c/gi",
      "cyclic:true:true",
    ]);
    const data = project.flow("CloneTypesFlow").latestRun!.step("start").task.data;
    expect(data.map).toEqual(
      new Map([
        ["a", [1, 2]],
        ["b", [3]],
      ]),
    );
    expect(data.set).toEqual(new Set(["x", "y"]));
    expect(data.date).toEqual(new Date("2024-01-02T03:04:05.678Z"));
    expect(data.big).toBe(2n ** 70n);
    expect(data.floats).toBeInstanceOf(Float64Array);
    expect(data.cyclic.self).toBe(data.cyclic);
  });

  it("a value that cannot be stored fails the task naming the artifact and the step", async () => {
    const r = await project.run([flow("unstorable.ts"), "run"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Artifact 'callback' of step 'start' cannot be stored");
    const task = project.flow("UnstorableFlow").latestRun!.step("start").task;
    expect(task.successful).toBe(false);
    expect(task.exception?.message).toContain("'callback'");
  });

  it("the same artifact written by two tasks is stored once", async () => {
    const r = await project.run([flow("same-artifact.ts"), "run"]);
    expect(r.code).toBe(0);
    const run = project.flow("SameArtifactFlow").latestRun!;
    const left = run.step("left").task.artifacts.find((a) => a.name === "data")!;
    const right = run.step("right").task.artifacts.find((a) => a.name === "data")!;
    const joined = run.step("join").task.artifacts.find((a) => a.name === "data")!;
    expect(left.sha).toBe(right.sha);
    expect(joined.sha).toBe(left.sha);
    expect(left.size).toBeGreaterThan(2 * 1024 * 1024);
    // one blob in the store: the same bytes under one key
    expect(project.openStore().getBlob(left.sha).byteLength).toBe(left.size);
  });
});
