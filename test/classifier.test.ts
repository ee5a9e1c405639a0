/**
 * The classifier walkthrough (notebooks/examples/classifier/README.md) as a user lives it, through
 * the real `steplab` command (bin/steplab.js, dist/): train (one branch fails), fix the flow file,
 * resume, predict with the latest model loaded through the client API inside a step, list runs.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Flow, Run } from "../runtime/client/index.js";
import { storeReader } from "../store/index.js";
import { openStore } from "../store/index.js";

const repo = resolve(import.meta.dirname, "..");
const example = join(repo, "notebooks", "examples", "classifier");
const BUG = "const labels = this.train_labels.slice(1);";
const FIX = "const labels = this.train_labels;";

let dir: string;

function steplab(...args: string[]): { code: number; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.STEPLAB_DATASTORE; // the project's own .steplab/, found from the working directory
  const result = spawnSync(process.execPath, [join(repo, "bin", "steplab.js"), ...args], { cwd: dir, env, encoding: "utf8" });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

const runIdOf = (stdout: string) => /Workflow starting \(run-id (\d+)\)/.exec(stdout)![1]!;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "steplab-classifier-"));
  for (const f of ["classifier_train.ts", "classifier_predict.ts"]) copyFileSync(join(example, f), join(dir, f));
  // A user's project has the ml packages installed; share the checkout's.
  symlinkSync(join(repo, "node_modules"), join(dir, "node_modules"), "dir");
  // The project's datastore: without it, steplab would use a .steplab/ found further up (as git does).
  mkdirSync(join(dir, ".steplab"));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the classifier walkthrough", () => {
  let failedId: string;
  let resumedId: string;

  it("1. training fails in the naive Bayes branch; the KNN branch finishes; exit 1", () => {
    const result = steplab("classifier_train.ts", "run");
    expect(result.code).toBe(1);
    failedId = runIdOf(result.stdout);
    expect(result.stdout).toContain("120 training samples, 30 test samples");
    expect(result.stdout).toMatch(
      /train_nb\/3 \(pid \d+\)\] RangeError: the size of the training set and the training labels must be the same\./,
    );
    expect(result.stdout).toMatch(/train_nb\/3 \(pid \d+\)\] at train_nb \(classifier_train\.ts:\d+:\d+\)/);
    expect(result.stdout).toContain("Workflow failed.");
    expect(result.stderr).toContain("Step train_nb (task-id 3) failed.");
    expect(result.stdout).toMatch(/knn accuracy 0\.\d+/);

    const logs = steplab("classifier_train.ts", "logs", `${failedId}/train_nb`);
    expect(logs.code).toBe(0);
    expect(logs.stderr).toContain("RangeError: the size of the training set and the training labels must be the same.");
    expect(logs.stderr).toMatch(/at train_nb \(classifier_train\.ts:\d+:\d+\)/);

    const dumped = steplab("classifier_train.ts", "dump", `${failedId}/start`, "--include", "train_labels");
    expect(dumped.code).toBe(0);
    expect(dumped.stdout).toMatch(/train_labels \[size: \d+ type: Array\]/);
  });

  it("2. after the fix, resume clones start and the KNN branch and re-runs the rest", () => {
    const file = join(dir, "classifier_train.ts");
    const source = readFileSync(file, "utf8");
    expect(source).toContain(BUG);
    writeFileSync(file, source.replace(BUG, FIX));

    const result = steplab("classifier_train.ts", "resume");
    expect(result.code).toBe(0);
    resumedId = runIdOf(result.stdout);
    expect(resumedId).not.toBe(failedId);
    expect(result.stderr).toContain(`Resuming ClassifierTrainFlow/${failedId} from step train_nb`);
    expect(result.stdout).toContain(`[${resumedId}/start/1 (pid`);
    expect(result.stdout).toContain(`Cloning results of a previously run task ${failedId}/start/1`);
    expect(result.stdout).toContain(`Cloning results of a previously run task ${failedId}/train_knn/2`);
    expect(result.stdout).not.toContain("training samples"); // start did not run again
    expect(result.stdout).not.toMatch(/knn accuracy/);
    expect(result.stdout).toMatch(/train_nb\/\d+ \(pid \d+\)\] Task is starting\./);
    expect(result.stdout).toMatch(/naive_bayes accuracy 0\.\d+/);
    expect(result.stdout).toMatch(/Best model: (knn|naive_bayes) \(accuracy 0\.\d+\)/);
    expect(result.stdout).toContain("Done!");

    const store = openStore(join(dir, ".steplab"));
    try {
      const reader = storeReader(store);
      const run = new Run(`ClassifierTrainFlow/${resumedId}`, reader);
      expect(run.successful).toBe(true);
      expect(run.originPathspec).toBe(`ClassifierTrainFlow/${failedId}`);
      expect(run.parameters).toEqual({ k: 5 });
      const scores = run.data!.scores as Record<string, number>;
      expect(Object.keys(scores).sort()).toEqual(["knn", "naive_bayes"]);
      expect(run.data!.accuracy).toBe(Math.max(scores.knn!, scores.naive_bayes!));
      expect(run.step("train_knn").task.originPathspec).toBe(`ClassifierTrainFlow/${failedId}/train_knn/2`);
      expect(run.step("train_nb").task.originPathspec).toBeUndefined();
      expect(new Flow("ClassifierTrainFlow", reader).latestSuccessfulRun!.id).toBe(resumedId);
    } finally {
      void store.close();
    }
  });

  it("3. the prediction flow loads the latest model inside a step and prints the class", () => {
    const virginica = steplab("classifier_predict.ts", "run", "--vector", "[6.7, 3.0, 5.2, 2.3]");
    expect(virginica.code).toBe(0);
    expect(virginica.stdout).toContain(`model of ClassifierTrainFlow/${resumedId}`);
    expect(virginica.stdout).toMatch(/\[\d+\/end\/2 \(pid \d+\)\] Predicted class 2$/m);

    const setosa = steplab("classifier_predict.ts", "run", "--vector", "[5.1, 3.5, 1.4, 0.2]");
    expect(setosa.code).toBe(0);
    expect(setosa.stdout).toMatch(/Predicted class 0$/m);

    const missing = steplab("classifier_predict.ts", "run");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--vector");
  });

  it("4. `steplab runs` lists both flows' runs with status and the resume's origin", () => {
    const result = steplab("runs");
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(1 + 4);
    expect(lines[1]).toMatch(/^ClassifierPredictFlow\/\d+\s+succeeded/);
    expect(lines.find((l) => l.startsWith(`ClassifierTrainFlow/${resumedId}`))).toMatch(new RegExp(`succeeded.*resumed ${failedId}$`));
    expect(lines.find((l) => l.startsWith(`ClassifierTrainFlow/${failedId}`))).toMatch(/\sfailed\s/);
    const trainOnly = steplab("runs", "ClassifierTrainFlow");
    expect(trainOnly.stdout.trim().split("\n")).toHaveLength(1 + 2);
  });
});
