/**
 * The development loop in `steplab repl` in a real terminal (tmux), on the built CLI and a real
 * store: re-running an unchanged cell says it reused the task and shows its output again; %load
 * opens a flow's failed foreach item, the status line says so, scratch cells see its inputs.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, Project } from "./helpers/cli.js";

const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
const skip = !existsSync(BIN) || !hasTmux;

const socket = `steplab-repl-devloop-${process.pid}`;
const name = "repl";
const tmux = (...args: string[]) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const screen = () => tmux("capture-pane", "-p", "-J", "-t", name);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string | RegExp, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let s = "";
    try {
      s = screen();
    } catch {
      s = "(tmux session gone)";
    }
    if (typeof what === "string" ? s.includes(what) : what.test(s)) return s;
    if (Date.now() > deadline) throw new Error(`the terminal never showed ${String(what)}; it shows:\n${s}`);
    await sleep(100);
  }
}

/** Types the lines as keystrokes (Ctrl-J between them), then Enter as its own key. */
async function enter(...lines: string[]): Promise<void> {
  lines.forEach((line, i) => {
    if (i > 0) tmux("send-keys", "-t", name, "C-j");
    tmux("send-keys", "-t", name, "-l", line);
  });
  await sleep(150);
  tmux("send-keys", "-t", name, "Enter");
}

describe.skipIf(skip)("the development loop in steplab repl (tmux)", () => {
  let project: Project;
  beforeAll(() => {
    project = new Project();
  });
  afterAll(async () => {
    try {
      tmux("kill-server");
    } catch {
      // already gone
    }
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
    tmux("new-session", "-d", "-s", name, "-x", "160", "-y", "50", cmd);
    await waitFor("In [1]:");

    await enter("//% step start", 'console.log("start ran " + 6 * 7); self.x = 7; self.x');
    await waitFor("Out[1]: 7");
    await enter("//% step start", 'console.log("start ran " + 6 * 7); self.x = 7; self.x');
    await waitFor("Out[2]: 7");
    const reused = screen();
    expect(reused).toMatch(/Reused results of task \S+\/start\/\d+/);
    expect(reused.match(/start ran 42/g)).toHaveLength(2);

    await enter(`%load ${failed.pathspec}`);
    await waitFor("self.input = 0, self.index = 1 (of 3 items of 'items').");
    await waitFor(`loaded ${failed.pathspec} (%load off)`);
    await enter("[self.input, self.scale, self.offset]");
    await waitFor("Out[4]: [ 0, 10, 1 ]");

    await enter("%load off");
    await waitFor(`Unloaded ${failed.pathspec}`);
    await sleep(300);
    expect(screen()).not.toContain("(%load off)");
    // The notebook's own last step again.
    await enter("self.x + 1");
    await waitFor("Out[6]: 8");

    tmux("send-keys", "-t", name, "C-d");
    await waitFor("[repl exited 0]");
  }, 240_000);
});
