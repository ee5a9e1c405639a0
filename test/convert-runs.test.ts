/**
 * `steplab convert` makes flows that run: the helpers a cell has in scope are imported, step options
 * travel both ways, `%scratch on` cells stay scratch; and `check` catches what would only fail when
 * a step runs (a helper used without its import, a notebook-only helper in a flow file).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { codeCell, newNotebook, serializeNotebook } from "../notebooks/index.js";
import { Project, runIdOf } from "./helpers/cli.js";

const project = new Project();
afterAll(() => project.cleanup());

function notebook(name: string, cells: string[]): string {
  return project.write(name, serializeNotebook(newNotebook(cells.map((c) => codeCell(c)))));
}

describe("convert makes flows that run", () => {
  it("a cell's display.table(...) imports display, and the flow checks and runs", async () => {
    notebook("table.ipynb", [
      "%flow TableFlow",
      "//% step start\nself.rows = [{ creature: 'bird', legs: 2 }, { creature: 'dog', legs: 4 }];\ndisplay.table(self.rows);",
      "//% step end\nconsole.log('legs', self.rows.reduce((n, r) => n + r.legs, 0));",
    ]);
    const conv = await project.run(["convert", "table.ipynb"]);
    expect(conv.stderr).toBe("");
    const flow = readFileSync(path.join(project.dir, "table.ts"), "utf8");
    expect(flow).toMatch(/^import \{ FlowSpec, step, display \} from "steplab";$/m);
    const check = await project.run(["table.ts", "check"]);
    expect(check.stdout + check.stderr).toContain("The graph looks good!");
    const run = await project.run(["table.ts", "run"]);
    expect(run.stdout + run.stderr).toContain("Done!");
    expect(run.code).toBe(0);
    expect(
      project
        .flow("TableFlow")
        .runs.find((r) => r.id === runIdOf(run.stdout))!
        .step("end").task.stdout,
    ).toContain("legs 6");
  });

  it("runFlow() or prompt() in a step cell is a problem naming the cell: a flow run has no front end", async () => {
    notebook("asks.ipynb", ["//% step start\nself.name = await prompt('name?');", "//% step end\nconsole.log(self.name);"]);
    const conv = await project.run(["convert", "asks.ipynb"]);
    expect(conv.code).toBe(1);
    expect(conv.stderr).toMatch(/cell 1 \(step start\): prompt\(\) asks a notebook's front end.*: move that code to a skip cell/);
  });

  it("step options travel both ways between //% step NAME key=value and @step({...})", async () => {
    notebook("opts.ipynb", [
      "//% step start isolation=process memoryMb=256 timeoutSeconds=30\nself.x = 1;",
      "//% step end retries=2 catch=failure\nconsole.log(self.x);",
    ]);
    expect((await project.run(["convert", "opts.ipynb"])).code).toBe(0);
    const flow = readFileSync(path.join(project.dir, "opts.ts"), "utf8");
    expect(flow).toContain(`@step({ isolation: "process", memoryMb: 256, timeoutSeconds: 30 }) start()`);
    expect(flow).toContain(`@step({ retries: 2, catch: "failure" }) end()`);
    expect((await project.run(["opts.ts", "check"])).code).toBe(0);
    expect((await project.run(["convert", "opts.ts", "-o", "opts_back.ipynb"])).code).toBe(0);
    const back = JSON.parse(readFileSync(path.join(project.dir, "opts_back.ipynb"), "utf8")) as { cells: { source: string | string[] }[] };
    const sources = back.cells.map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source));
    expect(sources).toContainEqual(expect.stringMatching(/^\/\/% step start isolation=process memoryMb=256 timeoutSeconds=30\n/));
    expect(sources).toContainEqual(expect.stringMatching(/^\/\/% step end retries=2 catch=failure\n/));
  });

  it("cells after %scratch on that declare no step are scratch in the flow file too", async () => {
    notebook("scratchy.ipynb", ["//% step start\nself.x = 1;", "%scratch on", "self.x + 1", "//% step end\nconsole.log(self.x);"]);
    expect((await project.run(["convert", "scratchy.ipynb"])).code).toBe(0);
    const flow = readFileSync(path.join(project.dir, "scratchy.ts"), "utf8");
    expect(flow.match(/@step/g)).toHaveLength(2);
    expect(flow).toContain("// %% [skip]\n  // self.x + 1");
  });
});

describe("check catches what would fail when the step runs", () => {
  it("a steplab helper used without its import, and a notebook-only helper", async () => {
    project.write(
      "forgot.ts",
      [
        `import { FlowSpec, runFlow, step } from "steplab";`,
        "export class ForgotFlow extends FlowSpec {",
        "  @step start() {",
        "    display.table([{ a: 1 }]);",
        "    void runFlow;",
        "    this.next(this.end);",
        "  }",
        "  @step end() {}",
        "}",
        "",
      ].join("\n"),
    );
    const r = await project.run(["forgot.ts", "check"]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/forgot\.ts:4.*display is used but not imported.*import \{ display \} from "steplab"/);
    expect(r.stdout + r.stderr).toMatch(/forgot\.ts:5.*runFlow\(\) runs a flow from a notebook cell/);
  });
});
