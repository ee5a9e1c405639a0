/** SPEC §6: isolate steps get performance.now(), structuredClone() and a read-only process.env snapshot. */
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FLOWS, Project } from "./helpers/cli.js";

const project = new Project();
afterAll(() => project.cleanup());

describe("globals of an isolate step", () => {
  it("performance.now, structuredClone and process.env behave as in Node, and process.env is read-only", async () => {
    const r = await project.run([path.join(FLOWS, "step-globals.ts"), "run"], { env: { STEPLAB_TEST_GREETING: "hello" } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const data = project.flow("StepGlobalsFlow").latestRun!.step("start").task.data;
    expect(data.elapsedOk).toBe(true);
    expect(data.cloned).toEqual({ distinct: true, cyclic: true, map: true, date: 7, bigint: true });
    expect(data.cloneError).toBe("DataCloneError");
    expect(data.fromEnv).toBe("hello");
    expect(data.envWrite).toMatch(/process\.env is a read-only snapshot inside a step/);
  });
});
