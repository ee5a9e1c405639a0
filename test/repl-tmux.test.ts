/**
 * `steplab repl` end to end in a real terminal (tmux): the built CLI, the real session, real
 * isolates and a real store. Keys go in with send-keys, the screen comes back with capture-pane.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BIN } from "./helpers/cli.js";
import { hasTmux, TmuxTerminal } from "./helpers/tmux.js";

const root = resolve(import.meta.dirname, "..");
// The command as built for this test run (test/global-setup.ts), not a dist/ left from an older build.
const bin = BIN;
const skipReason = !existsSync(bin)
  ? "bin/steplab.js is missing"
  : !hasTmux
    ? "tmux is not installed"
    : !existsSync(join(root, "runtime", "session", "index.ts"))
      ? "runtime/session/index.ts (createSession) has not landed yet"
      : undefined;
if (skipReason) console.warn(`repl-tmux tests skipped: ${skipReason}`);

const term = new TmuxTerminal("repl-test");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skipReason !== undefined)("steplab repl in tmux", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "steplab-repl-tmux-"));
    const cmd = `cd ${dir} && CI=false STEPLAB_DATASTORE=${join(dir, ".steplab")} node --no-node-snapshot ${bin} repl; echo "[repl exited $?]"; sleep 30`;
    term.start(cmd, 120, 40);
  });
  afterAll(() => {
    term.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs cells, interrupts a runaway loop with Ctrl-C, saves a notebook and quits with Ctrl-D", async () => {
    await term.waitFor("In [1]:");
    expect(term.screen()).toMatch(/flow \S+/);

    await term.enter(["1 + 1"]);
    await term.waitFor("Out[1]: 2");

    await term.enter(['console.log("hello " + 6 * 7)']);
    await term.waitFor("hello 42");

    await term.enter(["while (true) {}"]);
    await term.waitFor("running cell [3]");
    term.key("C-c");
    await term.waitFor(/In \[4\]:/);
    expect(term.screen()).toMatch(/Interrupt/i);

    // The session survived the interrupt. (The interrupted step has no task, so this cell names
    // its parent; Ctrl-J adds the line break.)
    await term.enter(["//% prev cell_2", "2 + 3"]);
    await term.waitFor("Out[4]: 5");

    // An incomplete cell gets a newline, not a run; completing it runs it.
    await term.enter(["[10, 20,"]);
    await sleep(500);
    expect(term.screen()).toMatch(/\.\.\.:/);
    expect(term.screen()).not.toMatch(/Out\[5\]/);
    await term.enter(["30].length"]);
    await term.waitFor("Out[5]: 3");

    await term.enter(["%save session.ipynb"]);
    await term.waitFor("Saved");
    const nb = JSON.parse(readFileSync(join(dir, "session.ipynb"), "utf8"));
    expect(nb.nbformat).toBe(4);
    expect(nb.metadata.kernelspec.name).toBe("steplab");

    term.key("C-d");
    await term.waitFor("[repl exited 0]");
  }, 180_000);
});
