/**
 * The development loop in notebooks (SPEC §6) through the real kernel, driven by Debian's
 * jupyter_client: re-running an unchanged cell reuses its task and replays its output (stream,
 * display, value) marked as reused; %stale says what %rerun will reuse; %rerun reuses; %cache off
 * runs again; %load opens a flow's failed foreach item in scratch cells until %load off.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project } from "./helpers/cli.js";
import { type ExecuteResult, hasJupyter, JupyterKernel, out } from "./helpers/kernel.js";

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
const markdown = (r: ExecuteResult) =>
  r.outputs.filter((o) => o.msg_type === "display_data" && o.content.data["text/markdown"]).map((o) => o.content.data["text/markdown"]);

const START = `//% step start\nconsole.log("start ran");\ndisplay.markdown("**three items**");\nself.items = [1, 2, 3];\nself.items.length`;
const SQUARE = `//% step square foreach items\nself.sq = self.input * self.input;\nself.sq`;

describe.skipIf(!hasJupyter)("re-running cells in the kernel reuses unchanged tasks", () => {
  it("replays a reused cell's output, marked; %stale and %rerun reuse; %cache off runs again", async () => {
    const [, first, , again, stale, rerun, off, ran, staleOff] = await kernel.script([
      { execute: "%flow LoopKernelFlow" },
      { execute: START },
      { execute: SQUARE },
      { execute: START },
      { execute: "%stale" },
      { execute: "%rerun" },
      { execute: "%cache off" },
      { execute: START },
      { execute: "%stale" },
    ]);
    expect(first.reply.status).toBe("ok");
    expect(out.stderr(first)).toBe("");
    const firstTask = project.flow("LoopKernelFlow").latestRun!.step("start").task.pathspec;

    expect(again.reply.status).toBe("ok");
    expect(out.stderr(again)).toBe(`Reused results of task ${firstTask}\n`);
    expect(out.stdout(again)).toBe("start ran\n");
    expect(markdown(again)).toEqual(markdown(first));
    expect(markdown(again)).toEqual(["**three items**"]);
    expect(text(again)).toBe("3");

    expect(text(stale)).toContain("Stale steps: square");
    expect(text(stale)).toContain("Will reuse (code and inputs unchanged): square");
    expect(text(rerun)).toBe("Reused square.");
    expect(out.stderr(rerun).match(/^Reused results of task LoopKernelFlow\/\d+\/square\/\d+$/gm)).toHaveLength(3);

    expect(text(off)).toMatch(/^Task reuse is off/);
    expect(out.stderr(ran)).toBe("");
    expect(out.stdout(ran)).toBe("start ran\n");
    expect(text(staleOff)).toContain("Will re-run (task reuse is off: %cache on): square");

    const run = project.flow("LoopKernelFlow").latestRun!;
    const starts = run.step("start").tasks;
    expect(starts.map((t) => t.reusedFrom)).toEqual([undefined, firstTask, undefined]);
    expect(run.step("square").tasks.filter((t) => t.reusedFrom !== undefined)).toHaveLength(3);
  }, 180_000);
});

describe.skipIf(!hasJupyter)("%load in the kernel", () => {
  it("opens a flow's failed foreach item: scratch cells see its exact inputs until %load off", async () => {
    project.fixture("fragile-foreach.ts");
    const flowRun = await project.run(["fragile-foreach.ts", "run"]);
    expect(flowRun.code).not.toBe(0);
    const failed = project
      .flow("FragileFlow")
      .latestRun!.step("divide")
      .tasks.find((t) => !t.successful)!;
    expect(failed.exception?.message).toBe("cannot divide by zero");

    const [load, look, fixed, off, after] = await kernel.script([
      { execute: `%load ${failed.pathspec}` },
      { execute: "[self.input, self.index, self.items, self.scale]" },
      { execute: "self.value = self.input === 0 ? 0 : self.scale / self.input;\nself.value" },
      { execute: "%load off" },
      { execute: "%dag" },
    ]);
    expect(load.reply.status).toBe("ok");
    expect(text(load)).toContain(`Loaded ${failed.pathspec} (failed: Error: cannot divide by zero).`);
    expect(text(load)).toContain("self.input = 0, self.index = 1 (of 3 items of 'items').");
    expect(text(look)).toBe("[ 0, 1, [ 4, 0, 2 ], 10 ]");
    expect(text(fixed)).toBe("0");
    expect(text(off)).toBe(`Unloaded ${failed.pathspec}: scratch cells see the notebook's last step again.`);
    // The scratch cells made no step and no run.
    expect(text(after)).not.toContain("cell_");
    expect(project.flow("FragileFlow").runs).toHaveLength(1);
  }, 180_000);
});
