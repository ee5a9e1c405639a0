/**
 * Issue 14: an error's `code` travels with it from the sandbox (no table of known guest errors on
 * the host): steplab's own guest errors and any code a step's error carries, in isolates and in
 * process steps alike, are recorded on the failed task.
 */
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FLOWS, Project, runIdOf } from "./helpers/cli.js";

const project = new Project();
afterAll(() => project.cleanup());

describe("error codes", () => {
  it.each(["isolate", "process"])("a %s step's own error code is recorded on its failed task", async (where) => {
    const r = await project.run([path.join(FLOWS, "error-codes.ts"), "run", "--where", where]);
    expect(r.code).toBe(1);
    const run = project.flow("ErrorCodesFlow").runs.find((x) => x.id === runIdOf(r.stdout))!;
    const task = run.step(`in_${where}`).task;
    expect(task.exception).toMatchObject({ name: "Error", message: "out of quota", code: "E_QUOTA" });
    // The user's frames only: not the context's own setup script.
    expect(task.exception!.stack).toMatch(/at in_(isolate|process) \(.*error-codes\.ts:\d+:\d+\)/);
    expect(r.stdout).not.toContain("steplab:context");
  });

  it("steplab's guest errors keep their codes", async () => {
    const r = await project.run([path.join(FLOWS, "missing-attribute.ts"), "run"]);
    expect(r.code).toBe(1);
    const task = project.flow("MissingAttributeFlow").latestRun!.step("end").task;
    expect(task.exception).toMatchObject({ name: "MissingArtifactError", code: "MISSING_ARTIFACT" });
  });
});
