/**
 * SPEC §6 client: Metaflow's namespaces (default `user:NAME`, `namespace(null)` for every run,
 * `namespace()` returns the current one) and `flow.runs(...tags)`, over runs two users made with
 * the real `steplab` command, read from a script importing the installed package and from a step.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, FLOWS, Project, runIdOf } from "./helpers/cli.js";

const project = new Project();
const hello = path.join(FLOWS, "hello-world.ts");
const ids: Record<string, string> = {};

beforeAll(async () => {
  for (const [key, user, tags] of [
    ["alice", "alice", ["--tag", "nightly"]],
    ["alice2", "alice", []],
    ["bob", "bob", ["--tag", "nightly"]],
  ] as const) {
    const r = await project.run([hello, "run", ...tags], { env: { STEPLAB_USER: user } });
    expect(r.code, r.stderr).toBe(0);
    ids[key] = runIdOf(r.stdout);
  }
  mkdirSync(path.join(project.dir, "node_modules"), { recursive: true });
  symlinkSync(path.dirname(path.dirname(BIN)), path.join(project.dir, "node_modules", "steplab"));
}, 120_000);
afterAll(() => project.cleanup());

function script(code: string, user: string): any {
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", code], {
    cwd: project.dir,
    env: project.env({ STEPLAB_USER: user }),
    encoding: "utf8",
  });
  return JSON.parse(out);
}

describe("namespaces in a script", () => {
  it("the default namespace is user:NAME; namespace(null) shows every run; namespace() says which is in use", () => {
    const seen = script(
      `import { Flow, Run, namespace, defaultNamespace } from "steplab";
       const ids = () => Flow("HelloFlow").runs.map((r) => r.id);
       const out = { initial: namespace(), mine: ids() };
       try { Run("HelloFlow/${ids.bob}"); } catch (e) { out.mismatch = e.name + ": " + e.message; }
       out.global = namespace(null); out.all = ids();
       out.bobs = namespace("user:bob"); out.bobRuns = ids(); out.latest = Flow("HelloFlow").latestRun.id;
       out.back = defaultNamespace(); out.again = ids();
       console.log(JSON.stringify(out));`,
      "alice",
    );
    expect(seen.initial).toBe("user:alice");
    expect(seen.mine).toEqual([ids.alice2, ids.alice]);
    expect(seen.mismatch).toMatch(
      /^NamespaceMismatchError: Run 'HelloFlow\/\d+' is not in namespace 'user:alice' \(it belongs to user:bob\)/,
    );
    expect(seen.mismatch).toContain("namespace(null)");
    expect(seen.global).toBeNull();
    expect(seen.all).toEqual([ids.bob, ids.alice2, ids.alice]);
    expect(seen.bobs).toBe("user:bob");
    expect(seen.bobRuns).toEqual([ids.bob]);
    expect(seen.latest).toBe(ids.bob);
    expect(seen.back).toBe("user:alice");
    expect(seen.again).toEqual([ids.alice2, ids.alice]);
  });

  it("flow.runs(...tags) keeps the runs carrying every tag, within the namespace", () => {
    const seen = script(
      `import { Flow, namespace } from "steplab";
       const flow = Flow("HelloFlow");
       const out = { tagged: flow.runs("nightly").map((r) => r.id), both: flow.runs("nightly", "user:alice").map((r) => r.id),
                     length: flow.runs.length, first: flow.runs[0].id };
       namespace(null);
       out.everyNightly = Flow("HelloFlow").runs("nightly").map((r) => r.id);
       console.log(JSON.stringify(out));`,
      "alice",
    );
    expect(seen).toEqual({ tagged: [ids.alice], both: [ids.alice], length: 2, first: ids.alice2, everyNightly: [ids.bob, ids.alice] });
  });

  it("a user with no run of a flow does not see it", () => {
    const seen = script(
      `import { Flow, Steplab } from "steplab";
       const out = { flows: Steplab().flows.map((f) => f.name) };
       try { Flow("HelloFlow"); } catch (e) { out.error = e.message; }
       console.log(JSON.stringify(out));`,
      "carol",
    );
    expect(seen.flows).toEqual([]);
    expect(seen.error).toMatch(/Flow 'HelloFlow' is not in namespace 'user:carol' \(it belongs to user:alice, user:bob\)/);
  });
});

describe("namespaces in a step", () => {
  it("a step's default namespace is the user of its run", async () => {
    const reader = project.write(
      "namespace-reader.ts",
      `import { FlowSpec, Flow, namespace, step } from "steplab";
export class NamespaceReaderFlow extends FlowSpec {
  declare ns: string | null;
  declare seen: string[];
  @step start() {
    this.ns = namespace();
    this.seen = Flow("HelloFlow").runs.map((r) => r.id);
    this.next(this.end);
  }
  @step end() {}
}
`,
    );
    const r = await project.run([reader, "run"], { env: { STEPLAB_USER: "bob" } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const task = project.flow("NamespaceReaderFlow").latestRun!.step("start").task;
    expect(task.data.ns).toBe("user:bob");
    expect(task.data.seen).toEqual([ids.bob]);
  });
});
