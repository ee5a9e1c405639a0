/**
 * Issue 12, "Notebook honesty", through the real kernel as Jupyter users drive it (Debian's
 * jupyter_client and nbclient): a run's status, a cell's parents, progress, the kernel's manners
 * with its parent, removing cells, scratch cells, cell step options, and errors in the user's terms.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project } from "./helpers/cli.js";
import { type ExecuteResult, hasJupyter, isRunning, JupyterKernel, out } from "./helpers/kernel.js";

let project: Project;
let kernel: JupyterKernel;

beforeAll(async () => {
  project = new Project();
  if (hasJupyter) kernel = await JupyterKernel.install(project);
});
afterAll(async () => {
  await project.cleanup();
});

const text = (r: ExecuteResult) => out.result(r) ?? "";

describe.skipIf(!hasJupyter)("notebook runs tell the truth (SPEC §6)", () => {
  it("a failed start is no successful run; end waits for it, names its cell, then reads its newest task", async () => {
    const [flow, start1, end1, before, start2, end2, after] = await kernel.script([
      { execute: "%flow HonestFlow" },
      { execute: `//% step start\nthrow new Error("not ready yet");` },
      { execute: "//% step end\nconsole.log('end ran');\nself.a" },
      { execute: `//% skip\nString(Flow("HonestFlow").latestSuccessfulRun)` },
      { execute: "//% step start\nself.a = 41;" },
      { execute: "//% step end\nself.a + 1" },
      { execute: `//% skip\nFlow("HonestFlow").latestSuccessfulRun?.id === Flow("HonestFlow").latestRun?.id` },
    ]);
    expect(flow.reply.status).toBe("ok");
    expect(start1.reply.status).toBe("error");
    // The end cell does not run, and says which cell to fix.
    expect(end1.reply.status).toBe("error");
    expect(out.stdout(end1)).not.toContain("end ran");
    expect(end1.reply.ename).toBe("ParentNotReadyError");
    expect(end1.reply.evalue).toContain("follows In [2] (step start), which has no successful task");
    expect(before.reply.status).toBe("ok");
    expect(text(before)).toBe("'undefined'");
    // Fixed and run again: end reads the new start task, and the run is the latest successful one.
    expect(start2.reply.status).toBe("ok");
    expect(end2.reply.status).toBe("ok");
    expect(text(end2)).toBe("42");
    expect(text(after)).toBe("true");

    const runs = project.flow("HonestFlow").runs;
    expect(runs).toHaveLength(1);
    expect(runs[0]!.successful).toBe(true);
    expect(runs[0]!.step("end").task.data.a).toBe(41);
  }, 120_000);

  it("a notebook whose cells fail under nbclient leaves a failed run, never the latest successful one", async () => {
    const cells = await kernel.nbclient(
      ["%flow AllFailFlow", `//% step start\nthrow new Error("broken start");`, "//% step end\nconsole.log(self.missing);"],
      { allowErrors: true },
    );
    const errors = cells.map((c) => c.outputs.find((o) => o.output_type === "error"));
    expect(errors[1]?.evalue).toBe("broken start");
    expect(errors[2]?.evalue).toMatch(/follows In \[2\] \(step start\), which has no successful task/);
    const flow = project.flow("AllFailFlow");
    expect(flow.latestSuccessfulRun).toBeUndefined();
    expect(flow.latestRun!.successful).toBe(false);
    expect(flow.latestRun!.record.status).toBe("failed");
    expect(flow.latestRun!.record.failedStep).toBe("start");
    // Only the cell that ran left a task.
    expect(flow.latestRun!.steps.map((s) => s.id)).toEqual(["start"]);
  }, 120_000);

  it("is_complete: a cell of directives alone is incomplete, so Enter in jupyter console adds a line", async () => {
    const [directiveOnly, twoDirectives, withCode, magic] = await kernel.script([
      { is_complete: "//% step start" },
      { is_complete: "//% step start\n//% prev a\n" },
      { is_complete: "//% step start\nself.x = 1" },
      { is_complete: "%dag" },
    ]);
    expect(directiveOnly).toEqual({ status: "incomplete", indent: "" });
    expect(twoDirectives.status).toBe("incomplete");
    expect(withCode.status).toBe("complete");
    expect(magic.status).toBe("complete");
  }, 120_000);

  it("a cell's progress is one display updated in place, ending at its final count", async () => {
    const [, start, each, , slow] = await kernel.script([
      { execute: "%flow ProgressFlow" },
      { execute: "//% step start\nself.items = Array.from({ length: 40 }, (_, i) => i);" },
      { execute: "//% step each foreach items\nself.square = self.input ** 2;" },
      { execute: "%rm each" }, // a foreach is its parent's only child
      // Long enough to be shown while it runs, so the display is updated in place.
      { execute: "//% step slow foreach items\n//% prev start\nawait new Promise((r) => setTimeout(r, 40));" },
    ]);
    for (const [r, final, updated] of [
      [start, "step start: 1/1 done", false],
      [each, "step each: 40/40 done", false],
      [slow, "step slow: 40/40 done", true],
    ] as const) {
      const shown = r.outputs.filter((o: { msg_type: string }) => o.msg_type === "display_data");
      const updates = r.outputs.filter((o: { msg_type: string }) => o.msg_type === "update_display_data");
      expect(shown).toHaveLength(1);
      const id = shown[0].content.transient.display_id;
      expect(id).toEqual(expect.any(String));
      expect(updates.every((u: { content: any }) => u.content.transient.display_id === id)).toBe(true);
      expect((updates.at(-1) ?? shown[0]).content.data["text/plain"]).toBe(final);
      if (updated) {
        expect(shown[0].content.data["text/plain"]).not.toBe(final);
        expect(updates.length).toBeGreaterThan(0);
        expect(updates.length).toBeLessThan(40);
      }
    }

    // What a saved notebook keeps: one line per cell, at its final count.
    const cells = await kernel.nbclient([
      "%flow ProgressSavedFlow",
      "//% step start\nself.items = [1, 2, 3, 4, 5];",
      "//% step each foreach items\nawait new Promise((r) => setTimeout(r, 200));\nself.double = self.input * 2;",
    ]);
    const displays = cells[2]!.outputs.filter((o) => o.output_type === "display_data");
    expect(displays.map((d) => d.data?.["text/plain"])).toEqual(["step each: 5/5 done"]);
  }, 180_000);
});

describe.skipIf(!hasJupyter)("the kernel's manners", () => {
  it("exits when the process in JPY_PARENT_PID is gone, as ipykernel does", async () => {
    const { client, kernelPid } = await kernel.orphan();
    expect(isRunning(kernelPid)).toBe(true);
    client.kill("SIGKILL");
    const deadline = Date.now() + 20_000;
    while (isRunning(kernelPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(isRunning(kernelPid)).toBe(false);
  }, 60_000);
});

describe.skipIf(!hasJupyter)("removing cells, starting afresh, scratch cells", () => {
  it("%rm N and %rm STEP take a cell's step out of the graph; %reset starts a new graph and run; %scratch on", async () => {
    const r = await kernel.script([
      { execute: "%flow TidyFlow" }, // 1
      { execute: "//% step start\nself.x = 1;" }, // 2
      { execute: "self.x + 1" }, // 3: a stray exploration cell, step cell_3
      { execute: "%rm 3" }, // 4
      { execute: "//% step end\nself.x" }, // 5: follows start again
      { execute: "%dag" }, // 6
      { execute: "%scratch on" }, // 7
      { execute: "self.x * 10" }, // 8: scratch, no step
      { execute: "//% step later\nself.y = 2;" }, // 9: a named cell is a step
      { execute: "%rm later" }, // 10
      { execute: "%dag" }, // 11
      { execute: "%export tidy.ts" }, // 12
      { execute: "%reset" }, // 13
      { execute: "%dag" }, // 14
      { execute: "//% step start\nself.fresh = true;" }, // 15
      { execute: "self.fresh", metadata: { cellId: "stray" } }, // 16: scratch still on
      { execute: "%scratch off" }, // 17
      { execute: "self.fresh", metadata: { cellId: "jl-stray" } }, // 18: a step, deleted in JupyterLab below
      { execute: "%dag", metadata: { deletedCells: ["jl-stray"] } }, // 19
    ]);
    const at = (n: number) => r[n - 1] as ExecuteResult;
    for (const n of [4, 5, 8, 10, 13, 15, 16, 18, 19]) expect(at(n).reply.status, `In [${n}]`).toBe("ok");
    expect(text(at(4))).toContain("Removed In [3] (step cell_3) from the graph");
    expect(text(at(5))).toBe("1");
    expect(text(at(6))).toMatch(/start \[task \d+\] => end — In \[2\]/);
    expect(text(at(6))).not.toContain("cell_3");
    expect(text(at(8))).toBe("10");
    expect(text(at(11))).toMatch(/start \[task \d+\] => end — In \[2\]\n {2}end \[task \d+\] — In \[5\]$/);
    const exported = readFileSync(path.join(project.dir, "tidy.ts"), "utf8");
    expect(exported.match(/@step/g)).toHaveLength(2);
    expect(exported).not.toMatch(/cell_|later/);
    expect(text(at(14))).toMatch(/no steps yet/);
    expect(text(at(16))).toBe("true");
    expect(text(at(19))).toMatch(/start \[task \d+\] — In \[15\]$/);

    // Two runs: the first keeps its tasks and is successful (every step of its graph was fresh).
    const runs = project.flow("TidyFlow").runs;
    expect(runs).toHaveLength(2);
    expect(runs[1]!.successful).toBe(true);
    expect(runs[1]!.step("end").task.data.x).toBe(1);
    expect(runs[0]!.step("start").task.data.fresh).toBe(true);
  }, 180_000);
});

describe.skipIf(!hasJupyter)("cell step options", () => {
  it("isolation=process, retries, catch, timeoutSeconds and memoryMb from the step line; advice names the cell form", async () => {
    const r = await kernel.script([
      { execute: "%flow OptionsFlow" }, // 1
      { execute: `//% setup\nimport { hostname } from "node:os";` }, // 2
      {
        execute:
          "//% step start isolation=process memoryMb=512\nself.host = hostname();\ndisplay.markdown('**' + process.pid + '**');\nprocess.pid",
      }, // 3
      { execute: "//% step in_isolate\nhostname()" }, // 4
      { execute: `//% step flaky retries=2 catch=failure\n//% prev start\nthrow new Error("always");` }, // 5
      { execute: "//% skip\nself.failure.message" }, // 6
      { execute: "//% step slow timeoutSeconds=1\n//% prev start\nwhile (true) {}" }, // 7
      { execute: "//% step big memoryMb=64\n//% prev start\nconst a: number[][] = [];\nwhile (true) a.push(new Array(100000).fill(1));" }, // 8
      { execute: "//% step start isolation=thread\nself.x = 1;" }, // 9
      { execute: "%rm in_isolate slow big" }, // 10: an export needs a graph that is a flow
      { execute: "%export options.ts" }, // 11
    ]);
    const at = (n: number) => r[n - 1] as ExecuteResult;
    expect(at(3).reply.status).toBe("ok");
    const pid = Number(text(at(3)));
    expect(pid).toBeGreaterThan(0);
    expect(at(3).outputs.some((o) => o.msg_type === "display_data" && o.content.data["text/markdown"] === `**${pid}**`)).toBe(true);

    // A Node built-in in an isolate cell: the advice is the cell's step line, not a decorator.
    expect(at(4).reply.status).toBe("error");
    expect(at(4).reply.evalue).toContain("//% step in_isolate isolation=process");
    expect(at(4).reply.evalue).not.toContain("@step(");

    expect(at(5).reply.status).toBe("ok");
    expect(out.stderr(at(5))).toContain("Retrying (attempt 2 of 3).");
    expect(out.stderr(at(5))).toContain("Retrying (attempt 3 of 3).");
    expect(out.stderr(at(5))).toContain("kept in artifact 'failure'");
    expect(text(at(6))).toBe("'always'");

    expect(at(7).reply.ename).toBe("TaskTimeoutError");
    expect(at(8).reply.ename).toBe("TaskMemoryError");
    expect(at(8).reply.evalue).toContain("(64 MB)");
    expect(at(8).reply.evalue).toContain("//% step big memoryMb=N");
    expect(at(8).reply.evalue).toContain("STEPLAB_CELL_MEMORY_MB");
    expect(at(8).reply.evalue).not.toContain("@step(");

    expect(at(9).reply.evalue).toMatch(/isolation of \/\/% step start must be "isolate" \(the default\) or "process"/);

    const flow = readFileSync(path.join(project.dir, "options.ts"), "utf8");
    expect(flow).toContain(`@step({ isolation: "process", memoryMb: 512 }) start()`);
    expect(flow).toContain(`@step({ retries: 2, catch: "failure" }) flaky()`);

    const run = project.flow("OptionsFlow").latestRun!;
    expect(run.step("start").task.data.host).toEqual(expect.any(String));
    expect(run.step("flaky").task.data.failure.message).toBe("always");
  }, 240_000);
});

describe.skipIf(!hasJupyter)("errors in the user's terms", () => {
  it("imports in a step cell, a local of another cell, a stored client Run, tracebacks of user frames as In [N], a foreach cell's value", async () => {
    const r = await kernel.script([
      { execute: "%flow TermsFlow" }, // 1
      { execute: `//% setup\nfunction deep(n: number): number {\n  if (n === 0) throw new Error("deep down");\n  return deep(n - 1);\n}` }, // 2
      { execute: `//% step start\nimport { hostname } from "node:os";\nself.h = hostname();` }, // 3
      { execute: "//% step start\nself.items = [1, 2, 3];" }, // 4
      { execute: `//% step look\nconst run = Flow("TermsFlow").latestRun!;\nrun.id.length > 0` }, // 5
      { execute: "//% step again\nrun.id" }, // 6
      { execute: `//% step keep\n//% prev start\nself.run = Flow("TermsFlow").latestRun!;` }, // 7
      { execute: "//% step boom\n//% prev start\nconst a = 1;\ndeep(2);" }, // 8
      { execute: `//% skip\n\nthrow new Error("scratch");` }, // 9
      { execute: "%reset" }, // 10
      { execute: "//% step start\nself.items = [1, 2, 3];" }, // 11
      { execute: "//% step each foreach items\nself.double = self.input * 2;\nself.double" }, // 12
    ]);
    const at = (n: number) => r[n - 1] as ExecuteResult;
    // An import in a step cell is refused when the cell runs, naming the setup cell; no step is added.
    expect(at(3).reply.ename).toBe("ImportInStepCellError");
    expect(at(3).reply.evalue).toContain("In [3] (step start), line 2: imports belong in a setup cell (//% setup)");

    // A local of another cell computed with the client API: the hint repeats it, never self.run = run.
    expect(at(5).reply.status).toBe("ok");
    expect(at(6).reply.ename).toBe("NameError");
    expect(at(6).reply.evalue).toContain("'run' is a local variable of In [5] (step look)");
    expect(at(6).reply.evalue).toContain(`const run = Flow("TermsFlow").latestRun!;`);
    expect(at(6).reply.evalue).not.toContain("self.run = run");

    // Storing a client Run: the artifact is named, and what to store instead; no bridge code shows.
    expect(at(7).reply.ename).toBe("UnstorableArtifactError");
    expect(at(7).reply.evalue).toMatch(/Artifact 'run' of step 'keep' cannot be stored: it is a client Run \('TermsFlow\/\d+'\)/);
    expect(at(7).reply.evalue).toContain("pathspec");
    expect(at(7).reply.traceback.join("\n")).not.toMatch(/call\(|reader\.|steplab:|=>/);

    // Tracebacks: the user's frames only, cells named as the front end names them.
    const tb = at(8).reply.traceback as string[];
    expect(tb[0]).toBe("Error: deep down");
    expect(tb.slice(1)).toEqual([
      "    at deep (setup cell In [2], line 3)",
      "    at deep (setup cell In [2], line 4)",
      "    at deep (setup cell In [2], line 4)",
      "    at In [8], line 4",
    ]);
    expect(tb.join("\n")).not.toMatch(/runStep|steplabEntry|steplab:context|__cell/);
    expect(at(9).reply.traceback).toEqual(["Error: scratch", "    at In [9], line 3"]);

    // A foreach cell's last expression: one value per task.
    expect(text(at(12))).toBe("[ 2, 4, 6 ]");
  }, 180_000);
});
