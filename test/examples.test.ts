/**
 * The examples in notebooks/examples/ work as a user runs them: each flow file through the real
 * `steplab` command, each notebook cell by cell through a notebook session (the kernel's and the
 * REPL's engine) with the flow's results, and each notebook converted by `steplab convert` into a
 * flow that `check` accepts and `run` executes with the same artifacts.
 */
import { execFile, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cellSource, cellTags, readNotebook } from "../notebooks/index.js";
import { Flow, type Run } from "../runtime/client/index.js";
import KNN from "ml-knn";
import { GaussianNB } from "ml-naivebayes";
import { registerArtifactClass, storeReader } from "../store/index.js";
import { createSession, type CellSink, type ExecuteOutcome, type MimeBundle } from "../runtime/session/index.js";
import { Project, ROOT, runIdOf, type CliResult } from "./helpers/cli.js";

const EXAMPLES = path.join(ROOT, "notebooks", "examples");

// The test reads the models the flows store, as a script would: with their classes registered.
registerArtifactClass(KNN);
registerArtifactClass(GaussianNB);

/** What one step's tasks stored: per task (in task order), artifact name -> value. */
type Artifacts = Record<string, Record<string, unknown>[]>;

function artifactsOf(run: Run): Artifacts {
  const out: Artifacts = {};
  for (const step of run) {
    out[step.id] = step.tasks.map((t) => Object.fromEntries(t.artifacts.map((a) => [a.name, a.data])));
  }
  return out;
}

interface NotebookRun {
  outcomes: { cell: number; source: string; outcome: ExecuteOutcome }[];
  stdout: string;
  displays: MimeBundle[];
  artifacts: Artifacts;
  run: { tags: string[]; flow: string };
}

/** Executes a notebook's code cells in order, as Jupyter's "Run all" does, in a fresh store. */
async function runNotebook(file: string, storeRoot: string, cwd: string): Promise<NotebookRun> {
  const nb = readNotebook(file);
  const session = await createSession({ storeRoot, notebookPath: file, cwd });
  let stdout = "";
  const displays: MimeBundle[] = [];
  const sink: CellSink = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stdout += t),
    display: (d) => void displays.push(d),
    clearOutput: () => {},
  };
  const outcomes: NotebookRun["outcomes"] = [];
  try {
    for (const [i, cell] of nb.cells.entries()) {
      if (cell.cell_type !== "code") continue;
      const source = cellSource(cell);
      const outcome = await session.execute(source, { sink, tags: cellTags(cell), cellId: cell.id });
      outcomes.push({ cell: i + 1, source, outcome });
    }
    const run = Flow(session.flow, storeReader(session.store)).latestRun!;
    return { outcomes, stdout, displays, artifacts: artifactsOf(run), run: { tags: run.tags, flow: session.flow } };
  } finally {
    await session.close();
  }
}

function failures(nb: NotebookRun): string[] {
  return nb.outcomes.filter((o) => o.outcome.status !== "ok").map((o) => `cell ${o.cell}: ${o.outcome.error?.evalue ?? o.outcome.status}`);
}

/** The text a task printed, without the `timestamp [run/step/task (pid N)]` prefixes. */
const printed = (stdout: string): string => stdout.replace(/^\S+ \S+ \[\d+\/\w+\/\d+ \(pid \d+\)\] /gm, "");

interface Example {
  name: string;
  flow: string;
  runArgs?: string[];
  /** Checks the CLI run's output and artifacts, as a user reading the console and `dump` would. */
  check(r: CliResult, a: Artifacts): void;
  timeout?: number;
}

const SQUARES_0_TO_999 = 332_833_500;

const EXAMPLE_FLOWS: Example[] = [
  {
    name: "hello_world",
    flow: "HelloFlow",
    check(r, a) {
      expect(printed(r.stdout)).toContain("steplab says: Hi!\n");
      expect(printed(r.stdout)).toContain("HelloFlow is all done.\n");
      expect(Object.keys(a)).toEqual(["start", "hello", "end"]);
      expect(a.end![0]!.message).toBe("steplab says: Hi!");
    },
  },
  {
    name: "counter",
    flow: "CounterFlow",
    check(r, a) {
      expect(printed(r.stdout)).toContain("The count is 0 before incrementing\n");
      expect(printed(r.stdout)).toContain("Final count is 2\n");
      expect([a.start![0]!.count, a.add![0]!.count, a.end![0]!.count]).toEqual([0, 1, 2]);
    },
  },
  {
    name: "parameters",
    flow: "ParameterFlow",
    check(r, a) {
      expect(r.stderr + r.stdout).toMatch(/iris_small\.csv/);
      expect(printed(r.stdout)).toContain("12 rows of all: mean petal_length 3.87, times alpha 0.01 = 0.0387\n");
      const end = a.end![0]!;
      expect(end).toMatchObject({
        alpha: 0.01,
        species: "all",
        verbose: false,
        config: { column: "petal_length", digits: 2 },
        rows: 12,
        scaled: 0.0387,
      });
      expect(end.iris).toBe(readFileSync(path.join(EXAMPLES, "data", "iris_small.csv"), "utf8"));
    },
  },
  {
    name: "counter_branch",
    flow: "CounterBranchFlow",
    check(r, a) {
      expect(printed(r.stdout)).toContain("count from add_one 1\n");
      expect(printed(r.stdout)).toContain("The final count for the dog is 2\n");
      expect(a.add_one![0]!.increment).toBe(1);
      expect(a.add_two![0]!.increment).toBe(2);
      // mergeArtifacts excluded the diverging `increment` and merged the agreeing parameter.
      expect(a.join![0]).toEqual({ animal: "dog", count: 2 });
      expect(a.end![0]).toEqual({ animal: "dog", count: 2 });
    },
  },
  {
    name: "foreach",
    flow: "ForeachFlow",
    check(r, a) {
      expect(r.stdout).toContain("Foreach yields 3 child steps.");
      expect(a.a!.map((t) => [t.position, t.title])).toEqual([
        [0, "Stranger Things processed"],
        [1, "House of Cards processed"],
        [2, "Narcos processed"],
      ]);
      expect(printed(r.stdout)).toContain("0: Stranger Things processed\n1: House of Cards processed\n2: Narcos processed\n");
    },
  },
  {
    name: "wide_foreach",
    flow: "WideForeachFlow",
    runArgs: ["--max-num-splits", "1000"],
    timeout: 600_000,
    check(r, a) {
      expect(r.stdout).toContain("Foreach yields 1000 child steps.");
      expect(a.work).toHaveLength(1000);
      expect(a.work![999]!.squared).toBe(999 ** 2);
      expect(a.end![0]!.total).toBe(SQUARES_0_TO_999);
      expect(printed(r.stdout)).toContain(`total ${SQUARES_0_TO_999}\n`);
    },
  },
  {
    name: "sweep_chart",
    flow: "SweepChartFlow",
    check(r, a) {
      expect(r.stdout).toContain("Foreach yields 8 child steps.");
      expect(printed(r.stdout)).toContain("[chart] KNN test accuracy by k: line chart of accuracy by k, 8 rows (see the task's card)\n");
      expect(a.report![0]!.results).toHaveLength(8);
      expect(printed(r.stdout)).toContain(`best k: ${a.end![0]!.best_k}\n`);
    },
  },
];

let project: Project;
/** The examples folder as a user's checkout of it (convert writes next to the notebooks). */
let work: string;
const flowRuns = new Map<string, Artifacts>();

beforeAll(() => {
  project = new Project();
  work = path.join(project.dir, "examples");
  mkdirSync(work);
  for (const e of EXAMPLE_FLOWS) {
    cpSync(path.join(EXAMPLES, `${e.name}.ts`), path.join(work, `${e.name}.ts`));
    cpSync(path.join(EXAMPLES, `${e.name}.ipynb`), path.join(work, `${e.name}.ipynb`));
  }
  cpSync(path.join(EXAMPLES, "hello.ipynb"), path.join(work, "hello.ipynb"));
  cpSync(path.join(EXAMPLES, "iris_classifier.ipynb"), path.join(work, "iris_classifier.ipynb"));
  // A user's project has the classifier's ml packages installed; share the checkout's.
  symlinkSync(path.join(ROOT, "node_modules"), path.join(work, "node_modules"), "dir");
  cpSync(path.join(EXAMPLES, "data"), path.join(work, "data"), { recursive: true });
});

afterAll(async () => {
  await project.cleanup();
});

async function cliRun(file: string, flow: string, args: string[] = []): Promise<{ r: CliResult; artifacts: Artifacts }> {
  const r = await project.run([file, "run", ...args], { cwd: work });
  expect(r.stderr + r.stdout, `${file} run`).toContain("Done!");
  expect(r.code).toBe(0);
  const run = project.flow(flow).runs.find((x) => x.id === runIdOf(r.stdout))!;
  expect(run.successful).toBe(true);
  return { r, artifacts: artifactsOf(run) };
}

describe.each(EXAMPLE_FLOWS)("example $name", (e) => {
  it(`${e.name}.ts passes check and runs from the CLI`, { timeout: e.timeout ?? 120_000 }, async () => {
    const check = await project.run([`${e.name}.ts`, "check"], { cwd: work });
    expect(check.stdout + check.stderr).toContain("The graph looks good!");
    expect(check.code).toBe(0);
    const { r, artifacts } = await cliRun(`${e.name}.ts`, e.flow, e.runArgs);
    e.check(r, artifacts);
    flowRuns.set(e.name, artifacts);
  });

  it(`${e.name}.ipynb runs cell by cell with the flow's results`, { timeout: e.timeout ?? 120_000 }, async () => {
    const nb = await runNotebook(path.join(work, `${e.name}.ipynb`), path.join(project.dir, `nb-${e.name}`), work);
    expect(failures(nb)).toEqual([]);
    expect(nb.run.flow).toBe(e.flow);
    expect(nb.run.tags).toContain("notebook");
    expect(nb.artifacts).toEqual(flowRuns.get(e.name));
  });

  it(`steplab convert ${e.name}.ipynb gives a flow that checks and runs with the same artifacts`, {
    timeout: e.timeout ?? 120_000,
  }, async () => {
    const out = `${e.name}_converted.ts`;
    const conv = await project.run(["convert", `${e.name}.ipynb`, "-o", out], { cwd: work });
    expect(conv.stderr).toBe("");
    expect(conv.stdout).toMatch(new RegExp(`^Wrote ${out} \\(flow ${e.flow}, \\d+ steps\\)\\.\\n$`));
    const check = await project.run([out, "check"], { cwd: work });
    expect(check.stdout + check.stderr).toContain("The graph looks good!");
    const { artifacts } = await cliRun(out, e.flow, e.runArgs);
    expect(artifacts).toEqual(flowRuns.get(e.name));
  });
});

describe("the example flow files", () => {
  it("type-check (strict) against steplab's own types, as a user's editor checks them", { timeout: 180_000 }, () => {
    const config = {
      extends: path.join(ROOT, "tsconfig.json"),
      compilerOptions: {
        noEmit: true,
        typeRoots: [path.join(ROOT, "node_modules", "@types")],
        module: "ESNext",
        moduleResolution: "Bundler",
        paths: { steplab: [path.join(ROOT, "runtime", "index.ts")] },
      },
      // The declarations the examples ship for packages without types (ml-knn) come along.
      include: [...EXAMPLE_FLOWS.map((e) => path.join(EXAMPLES, `${e.name}.ts`)), path.join(EXAMPLES, "types", "*.d.ts")],
      exclude: [],
    };
    const file = project.write("tsconfig.examples.json", JSON.stringify(config));
    const tsc = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", file], {
      encoding: "utf8",
    });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  });
});

describe("parameters example from the command line", () => {
  it("every parameter type and the included file can be given", async () => {
    const text = `${readFileSync(path.join(EXAMPLES, "data", "iris_small.csv"), "utf8")
      .split("\n")
      .slice(0, 3)
      .join("\n")}\n`;
    project.write("examples/data/two_rows.csv", text);
    const args = [
      "--alpha",
      "0.5",
      "--species",
      "setosa",
      "--verbose",
      "true",
      "--config",
      '{"column": "sepal_width", "digits": 1}',
      "--iris",
      "data/two_rows.csv",
    ];
    const { r, artifacts } = await cliRun("parameters.ts", "ParameterFlow", args);
    expect(printed(r.stdout)).toContain("sepal_width: 3.5 3\n");
    expect(artifacts.end![0]).toMatchObject({ alpha: 0.5, species: "setosa", verbose: true, rows: 2, mean: 3.25, scaled: 1.625 });
  });

  it("a value of the wrong type is a usage error (exit 2)", async () => {
    const r = await project.run(["parameters.ts", "run", "--alpha", "lots"], { cwd: work });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/alpha/);
  });
});

describe("wide_foreach example", () => {
  it("without --max-num-splits 1000 the run fails naming the option", async () => {
    const r = await project.run(["wide_foreach.ts", "run"], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain("--max-num-splits");
  });
});

describe("hello.ipynb (npm start)", () => {
  it("is the notebook `npm start` opens in the REPL", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toMatch(/steplab\.js repl notebooks\/examples\/hello\.ipynb$/);
    expect(existsSync(path.join(EXAMPLES, "hello.ipynb"))).toBe(true);
  });

  let greetings: unknown;
  it("runs start -> foreach -> join, and its skip cell reads the run through the client API", async () => {
    const nb = await runNotebook(path.join(work, "hello.ipynb"), path.join(project.dir, "nb-hello"), work);
    expect(failures(nb)).toEqual([]);
    expect(nb.run.flow).toBe("HelloNotebookFlow");
    expect(Object.keys(nb.artifacts)).toEqual(["start", "greet", "collect"]);
    greetings = nb.artifacts.collect![0]!.greetings;
    expect(greetings).toEqual(["Hello, Ada! You are number 1.", "Hello, Grace! You are number 2.", "Hello, Alan! You are number 3."]);
    expect(nb.stdout).toContain("Hello, Grace! You are number 2.\n");
    // The skip cell made no step; its result is a table of the greet tasks it read back.
    const skip = nb.outcomes.find((o) => o.source.startsWith("//% skip"))!.outcome;
    expect(skip.step).toBeUndefined();
    expect(skip.result?.["text/plain"]).toContain("Hello, Alan! You are number 3.");
    const dag = nb.outcomes.at(-1)!.outcome;
    expect(dag.result?.["text/plain"]).toMatch(/greet \[task [\d,]+\] => collect/);
  });

  it("converts to a flow (with an end step added) that runs with the same greetings", async () => {
    const conv = await project.run(["convert", "hello.ipynb"], { cwd: work });
    expect(conv.stdout).toBe("Wrote hello.ts (flow HelloNotebookFlow, 4 steps).\n");
    const { artifacts } = await cliRun("hello.ts", "HelloNotebookFlow");
    expect(Object.keys(artifacts)).toEqual(["start", "greet", "collect", "end"]);
    expect(artifacts.end![0]!.greetings).toEqual(greetings);
  });
});

describe("iris_classifier.ipynb (the README walkthrough)", () => {
  let session: NotebookRun;
  it("trains both models in parallel cells and chooses one; the skip cell predicts", async () => {
    session = await runNotebook(path.join(work, "iris_classifier.ipynb"), path.join(project.dir, "nb-iris"), work);
    expect(failures(session)).toEqual([]);
    expect(session.run.flow).toBe("IrisClassifierFlow");
    expect(Object.keys(session.artifacts)).toEqual(["start", "train_knn", "train_nb", "choose_model", "end"]);
    expect(session.stdout).toContain("120 training samples, 30 test samples\n");
    const chosen = session.artifacts.choose_model![0]!;
    expect(chosen.model_name).toBe("knn");
    expect(chosen.scores).toEqual({ knn: expect.closeTo(0.967, 3), naive_bayes: expect.closeTo(0.833, 3) });
    // The model came back from the store with its methods (registerArtifactClass in the setup cell).
    expect(session.stdout).toContain("knn says class 2\n");
    expect(session.stdout).toContain("Best model: knn (accuracy 0.967)\n");
  });

  it("converts to a flow that checks and runs with the notebook's results", async () => {
    const conv = await project.run(["convert", "iris_classifier.ipynb"], { cwd: work });
    expect(conv.stdout).toBe("Wrote iris_classifier.ts (flow IrisClassifierFlow, 5 steps).\n");
    const check = await project.run(["iris_classifier.ts", "check"], { cwd: work });
    expect(check.stdout + check.stderr).toContain("The graph looks good!");
    const { r, artifacts } = await cliRun("iris_classifier.ts", "IrisClassifierFlow");
    expect(printed(r.stdout)).toContain("Best model: knn (accuracy 0.967)\n");
    const pick = (a: Artifacts) =>
      Object.fromEntries(Object.entries(a).map(([step, tasks]) => [step, tasks.map((t) => ({ ...t, model: undefined }))]));
    expect(pick(artifacts)).toEqual(pick(session.artifacts));
  });
});

// ---- the same notebooks in the real Jupyter kernel -------------------------------------------------

const PYTHON = "/usr/bin/python3";
const hasJupyter = existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import jupyter_client, nbclient"]).status === 0;

interface NbclientCell {
  source: string;
  outputs: { output_type: string; text?: string; data?: Record<string, string>; evalue?: string }[];
}

describe.skipIf(!hasJupyter)("example notebooks in the steplab Jupyter kernel (nbclient)", () => {
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    const prefix = path.join(project.dir, "jupyter");
    const r = await project.run(["kernel", "install", "--prefix", prefix]);
    expect(r.code).toBe(0);
    env = { ...project.env(), JUPYTER_PATH: path.join(prefix, "share", "jupyter"), JUPYTER_RUNTIME_DIR: path.join(prefix, "runtime") };
  });

  function nbclient(name: string): Promise<NbclientCell[]> {
    const helper = path.join(ROOT, "test", "helpers", "jupyter.py");
    const out = path.join(project.dir, `${name}.out.ipynb`);
    return new Promise((resolve, reject) => {
      execFile(
        PYTHON,
        [helper, "nbclient", "steplab", path.join(work, name), out],
        { env, cwd: work, timeout: 600_000, maxBuffer: 64 << 20 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`${name}: ${err.message}\n${stderr.split("\n").slice(-15).join("\n")}`));
          else resolve((JSON.parse(stdout) as { cells: NbclientCell[] }).cells);
        },
      );
    });
  }

  const streams = (cells: NbclientCell[]) =>
    cells.flatMap((c) => c.outputs.filter((o) => o.output_type === "stream").map((o) => o.text ?? "")).join("");

  it.each(EXAMPLE_FLOWS)("$name.ipynb runs without errors and stores the flow's artifacts", { timeout: 600_000 }, async (e) => {
    const cells = await nbclient(`${e.name}.ipynb`);
    expect(cells.flatMap((c) => c.outputs.filter((o) => o.output_type === "error").map((o) => o.evalue))).toEqual([]);
    const run = project.flow(e.flow).runs.find((r) => r.tags.includes("notebook"))!;
    expect(run, `a notebook run of ${e.flow}`).toBeDefined();
    expect(artifactsOf(run)).toEqual(flowRuns.get(e.name));
  });

  it("hello.ipynb shows its greetings, the skip cell's table and the DAG", { timeout: 300_000 }, async () => {
    const cells = await nbclient("hello.ipynb");
    expect(streams(cells)).toContain("Hello, Alan! You are number 3.\n");
    const results = cells.flatMap((c) =>
      c.outputs.filter((o) => o.output_type === "execute_result").map((o) => o.data?.["text/plain"] ?? ""),
    );
    expect(results.some((t) => /greeting/.test(t) && /Hello, Ada!/.test(t))).toBe(true);
    expect(results.at(-1)).toMatch(/greet \[task [\d,]+\] => collect/);
  });

  it("iris_classifier.ipynb trains, chooses and predicts", { timeout: 300_000 }, async () => {
    const cells = await nbclient("iris_classifier.ipynb");
    expect(streams(cells)).toContain("knn says class 2\n");
    expect(streams(cells)).toContain("Best model: knn (accuracy 0.967)\n");
  });
});
