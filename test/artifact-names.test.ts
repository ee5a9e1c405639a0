/**
 * Issue 11 item 10 and SPEC §6: names steplab records for itself cannot be assigned, and names
 * that are not identifiers (NUL, `../`, 100k characters, `__proto__`) fail with a clear error
 * naming the artifact, however the step assigns them; a `__proto__` key inside a value is data.
 */
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FLOWS, Project, runIdOf } from "./helpers/cli.js";

const project = new Project();
const file = path.join(FLOWS, "artifact-names.ts");
afterAll(() => project.cleanup());

async function attempt(which: string, ...extra: string[]) {
  const r = await project.run([file, "run", "--which", which, ...extra]);
  const task = project
    .flow("ArtifactNamesFlow")
    .runs.find((x) => x.id === runIdOf(r.stdout))!
    .step("start").task;
  return { r, task };
}

describe("artifact names", () => {
  // Object.defineProperty(this, ...) is tried too for two of them: it is an assignment like any other.
  it.each([
    ["status", "Artifact '_status' cannot be set in step 'start': steplab records '_status' on every task itself", true],
    ["nul", "Artifact 'a\\u0000b' cannot be set in step 'start': artifact names are identifiers", false],
    ["dots", "Artifact '../escape' cannot be set in step 'start': artifact names are identifiers", false],
    ["long", "cannot be set in step 'start': it is 100000 characters long; artifact names have at most 256", false],
    ["proto", "Artifact '__proto__' cannot be set in step 'start': names starting with '__'", true],
  ])("%s: the task fails naming the artifact, and stores nothing under that name", async (which, message, define) => {
    for (const extra of define ? [[], ["--define", "true"]] : [[]]) {
      const { r, task } = await attempt(which, ...extra);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toContain(message);
      expect(task.successful).toBe(false);
      expect(task.exception).toMatchObject({ name: "InvalidArtifactNameError", code: "ARTIFACT_NAME" });
      expect(Object.keys(task.record.artifacts).sort()).toEqual(["define", "kept", "payload", "which"]);
    }
  });

  it("a name handed to the host past the flow object is refused there", async () => {
    const { r, task } = await attempt("bridge");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Artifact '_transition' cannot be set in step 'start'");
    expect(task.record.artifacts._transition).toBeUndefined();
  });

  it("a value with a __proto__ key keeps it, in dump and in the client", async () => {
    const { r, task } = await attempt("none");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const payload = task.data.payload as Record<string, number>;
    expect(Object.keys(payload)).toEqual(["__proto__", "a"]);
    expect(Object.getPrototypeOf(payload)).toBe(Object.prototype);
    const dump = await project.run([file, "dump", `${runIdOf(r.stdout)}/start`, "--include", "payload"]);
    expect(dump.stdout).toContain("['__proto__']: 1");
  });
});
