/**
 * What users look at, in a real headless browser (Debian's chromium, playwright-core): a task's
 * card written by the real `steplab` command (no console errors, the chart's SVG, the DAG's nodes
 * with the task's step marked, the artifact table's rows), `show --svg`, and the card viewer
 * following a running task.
 */
import type { ChildProcess } from "node:child_process";
import { copyFileSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserMissing, launchBrowser, openPage } from "./helpers/browser.js";
import { cardPage } from "../runtime/cards/index.js";
import { parseFlowFile } from "../runtime/graph/index.js";
import { Project, ROOT, runIdOf } from "./helpers/cli.js";

if (browserMissing) console.warn("pictures-browser tests skipped: /usr/bin/chromium is not installed (apt-get install chromium)");

describe.skipIf(browserMissing)("cards and pictures in a browser", () => {
  let browser: Browser;
  let project: Project;
  let runId: string;

  beforeAll(async () => {
    browser = await launchBrowser();
    project = new Project();
    project.fixture("displays.ts");
    const run = await project.run(["displays.ts", "run"]);
    expect(run.code, run.stderr).toBe(0);
    runId = runIdOf(run.stdout);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await project?.cleanup();
  });

  it("a flow step's display() is a readable line in its log, and its card shows the chart, the DAG and the artifact table", async () => {
    const logs = await project.run(["displays.ts", "logs", `${runId}/join/6`]);
    expect(logs.stdout).toContain("[chart] accuracy: line chart of accuracy by k, 4 rows (see the task's card)");
    expect(logs.stdout).toMatch(/^k\s+accuracy$/m); // display.table as a text table

    const card = await project.run(["displays.ts", "card", `${runId}/join/6`, "-o", "join.html"]);
    expect(card.code, card.stderr).toBe(0);
    expect(card.stderr).toContain(`Wrote the card of DisplayFlow/${runId}/join/6 to ${path.join(project.dir, "join.html")}`);

    const { page, errors } = await openPage(browser, pathToFileURL(path.join(project.dir, "join.html")).href);
    // The chart: vega's SVG with one line and a point per row.
    const chart = page.locator("figure.display.chart svg");
    await expect(chart.count()).resolves.toBe(1);
    expect(await chart.locator(".mark-line path").count()).toBe(1);
    expect(await chart.locator(".mark-symbol path").count()).toBe(4);
    // The DAG: every step, this one marked.
    const nodes = await page.locator("svg.steplab-dag g.node").evaluateAll((gs) => gs.map((g) => g.getAttribute("data-step")));
    expect(nodes).toEqual(["start", "train", "join", "end"]);
    expect(await page.locator("svg.steplab-dag g.node.marked").getAttribute("data-step")).toBe("join");
    // The artifact: an array of rows as a table holding the rows.
    const rows = await page
      .locator('section.artifact[data-artifact="results"] table tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
    expect(rows).toEqual([
      ["1", "0.95"],
      ["3", "0.85"],
      ["5", "0.75"],
      ["7", "0.65"],
    ]);
    expect(await page.locator("details.log.stdout pre").textContent()).toContain("[chart] accuracy");
    expect(errors).toEqual([]);
  });

  it("a process step's displays reach its card too; a foreach child's card says which item it is", async () => {
    const end = await project.run(["displays.ts", "card", `${runId}/end/7`, "-o", "end.html"]);
    expect(end.code, end.stderr).toBe(0);
    const { page, errors } = await openPage(browser, pathToFileURL(path.join(project.dir, "end.html")).href);
    expect(await page.locator("div.display.html b").textContent()).toBe("done");
    expect(await page.locator("figure.display.chart svg .mark-rect path").count()).toBe(4);
    expect(errors).toEqual([]);

    const train = await project.run(["displays.ts", "card", `${runId}/train`, "-o", "-"]);
    expect(train.code).toBe(2);
    expect(train.stderr).toContain(`has 4 tasks: name one, e.g. ${runId}/train/2`);
    const child = await project.run(["displays.ts", "card", `${runId}/train/3`, "-o", "-"]);
    expect(child.stdout).toMatch(/^<!doctype html>/);
    expect(child.stdout).toContain("foreach item 2 of 4");
  });

  it("a task reused by run --cache keeps what its source displayed, and its card says it was reused", async () => {
    const cached = await project.run(["displays.ts", "run", "--cache"]);
    expect(cached.code, cached.stderr).toBe(0);
    const reused = runIdOf(cached.stdout);
    const reader = project.reader();
    const join = reader.listTasks("DisplayFlow", reused, "join")[0]!;
    expect(join.reusedFrom).toBe(`DisplayFlow/${runId}/join/6`);
    expect(join.displays).toEqual(reader.getTask("DisplayFlow", runId, "join", "6")!.displays);
    const card = await project.run(["displays.ts", "card", `${reused}/join/${join.taskId}`, "-o", "-"]);
    expect(card.stdout).toContain(`reused the results of DisplayFlow/${runId}/join/6`);
    expect(card.stdout).toContain('<figure class="display chart">');
    expect(card.stdout).toMatch(/<g class="node state-reused marked" data-step="join">/);
  });

  it("show --svg draws the flow's DAG", async () => {
    const shown = await project.run(["displays.ts", "show", "--svg", "-o", "dag.svg"]);
    expect(shown.code, shown.stderr).toBe(0);
    const { page, errors } = await openPage(browser, pathToFileURL(path.join(project.dir, "dag.svg")).href);
    const nodes = await page.locator("g.node").evaluateAll((gs) => gs.map((g) => g.getAttribute("data-step")));
    expect(nodes).toEqual(["start", "train", "join", "end"]);
    expect(await page.locator("path.edge").count()).toBe(3);
    expect(await page.locator("text", { hasText: "foreach ks" }).count()).toBe(1);
    expect(errors).toEqual([]);
  });

  describe("the card viewer", () => {
    let server: ChildProcess;
    let url: string;

    beforeAll(async () => {
      server = project.spawn(["cards", "--port", "0"]);
      url = await new Promise<string>((resolve, reject) => {
        let out = "";
        server.stdout!.setEncoding("utf8").on("data", (t: string) => {
          out += t;
          const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m) resolve(m[1]!);
        });
        server.on("exit", (code) => reject(new Error(`steplab cards exited with ${code}: ${out}`)));
      });
    }, 60_000);

    afterAll(() => {
      server?.kill("SIGINT");
    });

    it("lists recent runs, links to each task's card, and refreshes a running task's card until it finishes", async () => {
      project.fixture("live-card.ts");
      const running = project.run(["live-card.ts", "run"]);
      // Wait for the task to have shown something while it runs.
      const reader = project.reader();
      let liveRun: string | undefined;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        liveRun = reader.listRuns("LiveCardFlow")[0]?.runId;
        const task = liveRun ? reader.getTask("LiveCardFlow", liveRun, "start", "1") : undefined;
        if (task?.status === "running" && task.displays) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const { page, errors } = await openPage(browser, `${url}card/LiveCardFlow/${liveRun}/start/1`);
      expect(await page.locator(".steplab-card").getAttribute("data-status")).toBe("running");
      expect(await page.locator("div.display.markdown strong").textContent()).toBe("there");
      expect(await page.locator("details.log.stdout pre").textContent()).toContain("working");
      // No reload from here: the page reloads itself until the task is done.
      await page.waitForSelector('.steplab-card[data-status="succeeded"]', { timeout: 30_000 });
      expect(await page.locator('section.artifact[data-artifact="done"] code').textContent()).toBe("true");
      expect((await running).code).toBe(0);

      const index = await openPage(browser, url);
      // Newest first: the live run, then DisplayFlow's (its --cache run, then the first).
      const headings = await index.page.locator("section.run h2").allTextContents();
      expect(headings[0]).toBe(`LiveCardFlow / ${liveRun}`);
      expect(headings.at(-1)).toBe(`DisplayFlow / ${runId}`);
      await index.page.click(`a[href="/card/DisplayFlow/${runId}/join/6"]`);
      expect(await index.page.locator("svg.steplab-dag g.node.marked").getAttribute("data-step")).toBe("join");
      const missing = await openPage(browser, `${url}card/DisplayFlow/${runId}/join/99`);
      expect(await missing.page.locator("pre").textContent()).toContain(`Task DisplayFlow/${runId}/join/99 was not found`);
      expect([...errors, ...index.errors]).toEqual([]);
    }, 120_000);
  });

  describe("the classifier example", () => {
    let classifier: Project;
    beforeAll(async () => {
      classifier = new Project();
      const example = path.join(ROOT, "notebooks", "examples", "classifier");
      for (const f of ["classifier_train.ts", "classifier_predict.ts"]) copyFileSync(path.join(example, f), path.join(classifier.dir, f));
      symlinkSync(path.join(ROOT, "node_modules"), path.join(classifier.dir, "node_modules"), "dir");
      // The walkthrough's fix (README, step 2), so that every step runs.
      const train = path.join(classifier.dir, "classifier_train.ts");
      writeFileSync(train, readFileSync(train, "utf8").replace("this.train_labels.slice(1)", "this.train_labels"));
      expect((await classifier.run(["classifier_train.ts", "run"])).code).toBe(0);
      expect((await classifier.run(["classifier_predict.ts", "run", "--vector", "[6.7, 3.0, 5.2, 2.3]"])).code).toBe(0);
    }, 300_000);
    afterAll(async () => classifier?.cleanup());

    it("every step of both flows has a card with its artifacts, the DAG, and the models' chart", async () => {
      const reader = classifier.reader();
      let cards = 0;
      for (const [flow, file] of [
        ["ClassifierTrainFlow", "classifier_train.ts"],
        ["ClassifierPredictFlow", "classifier_predict.ts"],
      ] as const) {
        const run = reader.listRuns(flow)[0]!;
        const graph = parseFlowFile(path.join(classifier.dir, file));
        for (const task of reader.listRunTasks(flow, run.runId)) {
          const html = path.join(classifier.dir, `${task.step}.html`);
          writeFileSync(html, cardPage(reader, task, { graph }));
          const { page, errors } = await openPage(browser, pathToFileURL(html).href);
          const shown = await page.locator("section.artifact").evaluateAll((s) => s.map((e) => e.getAttribute("data-artifact")));
          expect(shown, `${task.step}'s card`).toEqual(Object.keys(task.artifacts).sort());
          expect(await page.locator("svg.steplab-dag g.node").count()).toBe(graph.steps.length);
          expect(await page.locator("svg.steplab-dag g.node.marked").getAttribute("data-step")).toBe(task.step);
          if (task.step === "choose_model") {
            expect(await page.locator("figure.display.chart svg .mark-rect path").count()).toBe(2);
            expect(await page.locator('section.artifact[data-artifact="model"] .summary').textContent()).toMatch(
              /an instance of (KNN|GaussianNB)/,
            );
          }
          if (task.step === "start" && flow === "ClassifierTrainFlow")
            expect(await page.locator('section.artifact[data-artifact="train_labels"] .summary').textContent()).toMatch(
              /^120 numbers: min 0 · max 2/,
            );
          expect(errors, `${task.step}'s card`).toEqual([]);
          await page.close();
          cards++;
        }
      }
      expect(cards).toBe(5 + 2);
    }, 180_000);
  });
});
