/**
 * The development loop in `steplab repl` in a real terminal (tmux), on the built CLI and a real
 * store: re-running an unchanged cell says it reused the task and shows its output again; %load
 * opens a flow's failed foreach item, the status line says so, scratch cells see its inputs.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, Project } from "./helpers/cli.js";
import { hasTmux, TmuxTerminal } from "./helpers/tmux.js";

const skip = !existsSync(BIN) || !hasTmux;

const term = new TmuxTerminal("repl-devloop", { joinWrapped: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skip)("the development loop in steplab repl (tmux)", () => {
  let project: Project;
  beforeAll(() => {
    project = new Project();
  });
  afterAll(async () => {
    term.kill();
    await project.cleanup();
  });

  it("reuses an unchanged cell; %load shows a failed foreach item's inputs until %load off", async () => {
    project.fixture("fragile-foreach.ts");
    expect((await project.run(["fragile-foreach.ts", "run"])).code).not.toBe(0);
    const failed = project
      .flow("FragileFlow")
      .latestRun!.step("divide")
      .tasks.find((t) => !t.successful)!;

    const cmd = `cd ${project.dir} && CI=false STEPLAB_DATASTORE=${project.datastore} node --no-node-snapshot ${BIN} repl; echo "[repl exited $?]"; sleep 30`;
    term.start(cmd, 160, 50);
    await term.waitFor("In [1]:");

    await term.enter(["//% step start", 'console.log("start ran " + 6 * 7); self.x = 7; self.x']);
    await term.waitFor("Out[1]: 7");
    await term.enter(["//% step start", 'console.log("start ran " + 6 * 7); self.x = 7; self.x']);
    await term.waitFor("Out[2]: 7");
    const reused = term.screen();
    expect(reused).toMatch(/Reused results of task \S+\/start\/\d+/);
    expect(reused.match(/start ran 42/g)).toHaveLength(2);

    await term.enter([`%load ${failed.pathspec}`]);
    await term.waitFor("self.input = 0, self.index = 1 (of 3 items of 'items').");
    await term.waitFor(`loaded ${failed.pathspec} (%load off)`);
    await term.enter(["[self.input, self.scale, self.offset]"]);
    await term.waitFor("Out[4]: [ 0, 10, 1 ]");

    await term.enter(["%load off"]);
    await term.waitFor(`Unloaded ${failed.pathspec}`);
    await sleep(300);
    expect(term.screen()).not.toContain("(%load off)");
    // The notebook's own last step again.
    await term.enter(["self.x + 1"]);
    await term.waitFor("Out[6]: 8");

    term.key("C-d");
    await term.waitFor("[repl exited 0]");
  }, 240_000);
});
