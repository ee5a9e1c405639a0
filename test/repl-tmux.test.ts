/**
 * `steplab repl` end to end in a real terminal (tmux): the built CLI, the real session, real
 * isolates and a real store. Keys go in with send-keys, the screen comes back with capture-pane.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BIN } from "./helpers/cli.js";

const root = resolve(import.meta.dirname, "..");
// The command as built for this test run (test/global-setup.ts), not a dist/ left from an older build.
const bin = BIN;
const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
const skipReason = !existsSync(bin)
  ? "bin/steplab.js is missing"
  : !hasTmux
    ? "tmux is not installed"
    : !existsSync(join(root, "runtime", "session", "index.ts"))
      ? "runtime/session/index.ts (createSession) has not landed yet"
      : undefined;
if (skipReason) console.warn(`repl-tmux tests skipped: ${skipReason}`);

const socket = `steplab-repl-test-${process.pid}`;
const name = "repl";
const tmux = (...args: string[]) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const screen = () => tmux("capture-pane", "-p", "-t", name);
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

/** Types a line as keystrokes, then Enter as its own key (a person pauses before Enter). */
async function enter(line: string): Promise<void> {
  tmux("send-keys", "-t", name, "-l", line);
  await sleep(150);
  tmux("send-keys", "-t", name, "Enter");
}

describe.skipIf(skipReason !== undefined)("steplab repl in tmux", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "steplab-repl-tmux-"));
    const cmd = `cd ${dir} && CI=false STEPLAB_DATASTORE=${join(dir, ".steplab")} node --no-node-snapshot ${bin} repl; echo "[repl exited $?]"; sleep 30`;
    tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "40", cmd);
  });
  afterAll(() => {
    try {
      tmux("kill-server");
    } catch {
      // already gone
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs cells, interrupts a runaway loop with Ctrl-C, saves a notebook and quits with Ctrl-D", async () => {
    await waitFor("In [1]:");
    expect(screen()).toMatch(/flow \S+/);

    await enter("1 + 1");
    await waitFor("Out[1]: 2");

    await enter('console.log("hello " + 6 * 7)');
    await waitFor("hello 42");

    await enter("while (true) {}");
    await waitFor("running cell [3]");
    tmux("send-keys", "-t", name, "C-c");
    await waitFor(/In \[4\]:/);
    expect(screen()).toMatch(/Interrupt/i);

    // The session survived the interrupt. (The interrupted step has no task, so this cell names
    // its parent; Ctrl-J adds the line break.)
    tmux("send-keys", "-t", name, "-l", "//% prev cell_2");
    tmux("send-keys", "-t", name, "C-j");
    await enter("2 + 3");
    await waitFor("Out[4]: 5");

    // An incomplete cell gets a newline, not a run; completing it runs it.
    await enter("[10, 20,");
    await sleep(500);
    expect(screen()).toMatch(/\.\.\.:/);
    expect(screen()).not.toMatch(/Out\[5\]/);
    await enter("30].length");
    await waitFor("Out[5]: 3");

    await enter("%save session.ipynb");
    await waitFor("Saved");
    const nb = JSON.parse(readFileSync(join(dir, "session.ipynb"), "utf8"));
    expect(nb.nbformat).toBe(4);
    expect(nb.metadata.kernelspec.name).toBe("steplab");

    tmux("send-keys", "-t", name, "C-d");
    await waitFor("[repl exited 0]");
  }, 180_000);
});
