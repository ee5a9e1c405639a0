/**
 * Pictures in the terminal REPL, end to end in tmux (the built CLI, a real session and store):
 * a chart is saved as an SVG file whose path is printed with its one-line summary, and `o` in
 * `%explore` writes the selected task's card.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN } from "./helpers/cli.js";
import { hasTmux, TmuxTerminal } from "./helpers/tmux.js";

if (!hasTmux) console.warn("pictures-repl-tmux tests skipped: tmux is not installed");

const term = new TmuxTerminal("pictures-repl", { joinWrapped: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function keys(...k: string[]): Promise<void> {
  for (const key of k) {
    term.key(key);
    await sleep(250);
  }
}

describe.skipIf(!hasTmux)("pictures in the terminal REPL", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "steplab-pictures-repl-"));
    const cmd = `cd ${dir} && TMPDIR=${dir} STEPLAB_NO_BROWSER=1 CI=false STEPLAB_DATASTORE=${join(dir, ".steplab")} node --no-node-snapshot ${BIN} repl; echo "[repl exited $?]"; sleep 30`;
    term.start(cmd, 220, 50);
  });
  afterAll(() => {
    term.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("saves a chart as an SVG file and prints its path; o in %explore writes a task's card", async () => {
    await term.waitFor(/In \[1\]:/);
    await term.enter(
      ["//% step start", 'self.rows = [{ k: 1, a: 0.5 }, { k: 2, a: 0.7 }]; display.chart(self.rows, { x: "k", y: "a" })'],
      200,
    );
    const saved = await term.match(/line chart of a by k, 2 rows → (\S+\.svg)/);
    const file = saved[1]!;
    expect(file.startsWith(join(dir, "steplab-charts"))).toBe(true);
    expect(readFileSync(file, "utf8")).toMatch(/^<svg[^>]*class="marks"/);

    await term.enter(["%explore"], 200);
    await term.waitFor(/steplab explorer/);
    await keys("Enter", "Enter", "Enter", "Enter"); // flow -> run -> step start -> task 1
    await term.waitFor(/\[stdout\]/);
    await keys("o");
    const card = await term.match(/Card written to (\S+\.html)/);
    expect(existsSync(card[1]!)).toBe(true);
    expect(readFileSync(card[1]!, "utf8")).toContain('data-artifact="rows"');
    await keys("q");
    await term.waitFor(/In \[2\]:/);
    term.key("C-d");
    await term.waitFor(/\[repl exited 0\]/);
  }, 180_000);
});
