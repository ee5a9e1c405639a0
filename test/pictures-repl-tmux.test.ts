/**
 * Pictures in the terminal REPL, end to end in tmux (the built CLI, a real session and store):
 * a chart is saved as an SVG file whose path is printed with its one-line summary, and `o` in
 * `%explore` writes the selected task's card.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN } from "./helpers/cli.js";

const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
if (!hasTmux) console.warn("pictures-repl-tmux tests skipped: tmux is not installed");

const socket = `steplab-pictures-repl-${process.pid}`;
const name = "repl";
const tmux = (...args: string[]) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const screen = () => tmux("capture-pane", "-p", "-J", "-t", name);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let s = "";
    try {
      s = screen();
    } catch {
      s = "(tmux session gone)";
    }
    const m = what.exec(s);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`the terminal never showed ${String(what)}; it shows:\n${s}`);
    await sleep(100);
  }
}

async function keys(...k: string[]): Promise<void> {
  for (const key of k) {
    tmux("send-keys", "-t", name, key);
    await sleep(250);
  }
}

describe.skipIf(!hasTmux)("pictures in the terminal REPL", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "steplab-pictures-repl-"));
    const cmd = `cd ${dir} && TMPDIR=${dir} STEPLAB_NO_BROWSER=1 CI=false STEPLAB_DATASTORE=${join(dir, ".steplab")} node --no-node-snapshot ${BIN} repl; echo "[repl exited $?]"; sleep 30`;
    tmux("new-session", "-d", "-s", name, "-x", "220", "-y", "50", cmd);
  });
  afterAll(() => {
    try {
      tmux("kill-server");
    } catch {
      // already gone
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("saves a chart as an SVG file and prints its path; o in %explore writes a task's card", async () => {
    await waitFor(/In \[1\]:/);
    tmux("send-keys", "-t", name, "-l", "//% step start");
    tmux("send-keys", "-t", name, "C-j");
    tmux("send-keys", "-t", name, "-l", 'self.rows = [{ k: 1, a: 0.5 }, { k: 2, a: 0.7 }]; display.chart(self.rows, { x: "k", y: "a" })');
    await sleep(200);
    tmux("send-keys", "-t", name, "Enter");
    const saved = await waitFor(/line chart of a by k, 2 rows → (\S+\.svg)/);
    const file = saved[1]!;
    expect(file.startsWith(join(dir, "steplab-charts"))).toBe(true);
    expect(readFileSync(file, "utf8")).toMatch(/^<svg[^>]*class="marks"/);

    tmux("send-keys", "-t", name, "-l", "%explore");
    await sleep(200);
    await keys("Enter");
    await waitFor(/steplab explorer/);
    await keys("Enter", "Enter", "Enter", "Enter"); // flow -> run -> step start -> task 1
    await waitFor(/\[stdout\]/);
    await keys("o");
    const card = await waitFor(/Card written to (\S+\.html)/);
    expect(existsSync(card[1]!)).toBe(true);
    expect(readFileSync(card[1]!, "utf8")).toContain('data-artifact="rows"');
    await keys("q");
    await waitFor(/In \[2\]:/);
    tmux("send-keys", "-t", name, "C-d");
    await waitFor(/\[repl exited 0\]/);
  }, 180_000);
});
