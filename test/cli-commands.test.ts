/**
 * The command line around a run: parameters (types, env defaults, usage errors with exit 2),
 * IncludeFile, logs, dump and help — through the real `steplab` command.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import path from "node:path";
import { main } from "../cli/main.js";
import { FLOWS, Project, runIdOf } from "./helpers/cli.js";

const PARAMS = path.join(FLOWS, "parameters.ts");
const HELLO = path.join(FLOWS, "hello-world.ts");
const FOREACH = path.join(FLOWS, "foreach-index.ts");

const project = new Project();
afterAll(() => project.cleanup());

function summary(stdout: string): Record<string, unknown> {
  const m = /params (\{.*\})$/m.exec(stdout);
  if (!m) throw new Error(`no params line in:\n${stdout}`);
  return JSON.parse(m[1]!);
}

describe("parameters", () => {
  it("defaults, typed values and a required number", async () => {
    const r = await project.run([PARAMS, "run", "--seed", "7"]);
    expect(r.code).toBe(0);
    expect(summary(r.stdout)).toEqual({ creature: "dog", seed: 7, ratio: 0.5, loud: false, config: { depth: 2 }, notes: null });
    expect(r.stdout).toContain("types number boolean object");
    const run = project.flow("ParameterFlow").latestRun!;
    expect(run.parameters).toMatchObject({ animal: "dog", seed: 7, ratio: 0.5, loud: false, config: { depth: 2 } });
    expect(run.step("start").task.data.seed).toBe(7);
  });

  it("command-line values of each type", async () => {
    const r = await project.run([
      PARAMS,
      "run",
      "--seed=11",
      "--creature",
      "cat",
      "--ratio",
      "0.25",
      "--loud",
      "--config",
      '{"depth": 5, "tags": ["x"]}',
    ]);
    expect(r.code).toBe(0);
    expect(summary(r.stdout)).toMatchObject({ creature: "cat", seed: 11, ratio: 0.25, loud: true, config: { depth: 5, tags: ["x"] } });
  });

  it("STEPLAB_RUN_<NAME> sets defaults; the command line overrides them", async () => {
    const env = { STEPLAB_RUN_CREATURE: "dinosaur", STEPLAB_RUN_SEED: "3", STEPLAB_RUN_LOUD: "true" };
    const fromEnv = await project.run([PARAMS, "run"], { env });
    expect(fromEnv.code).toBe(0);
    expect(summary(fromEnv.stdout)).toMatchObject({ creature: "dinosaur", seed: 3, loud: true });
    const cliWins = await project.run([PARAMS, "run", "--creature", "bird", "--seed", "4"], { env });
    expect(cliWins.code).toBe(0);
    expect(summary(cliWins.stdout)).toMatchObject({ creature: "bird", seed: 4, loud: true });
  });

  it.each([
    ["a missing required parameter", [], /Missing option '--seed'/],
    ["an unknown option", ["--seed", "1", "--colour", "red"], /No such option: --colour/],
    ["a number that is not one", ["--seed", "many"], /'many' is not a valid number/],
    ["JSON that is not JSON", ["--seed", "1", "--config", "{nope"], /--config.*not valid JSON/],
    ["a boolean that is not one", ["--seed", "1", "--loud=perhaps"], /not a valid boolean/],
    ["a file that cannot be read", ["--seed", "1", "--notes", "no-such-file.txt"], /cannot read file 'no-such-file.txt'/],
  ])("%s is a usage error: exit 2, usage and the problem, nothing runs", async (_what, args, message) => {
    const r = await project.run([PARAMS, "run", ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Usage: steplab .*parameters\.ts run \[OPTIONS\]/);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).not.toContain("Workflow starting");
  });

  it("help lists the flow's parameters with their env names", async () => {
    const r = await project.run([PARAMS, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--creature STRING");
    expect(r.stdout).toContain("--seed NUMBER");
    expect(r.stdout).toContain("STEPLAB_RUN_CREATURE");
    expect(r.stdout).toContain("--max-num-splits");
  });

  it("IncludeFile stores the file's content, still readable after the file is deleted", async () => {
    const notes = project.write("notes.txt", "line one\nline two\n");
    const r = await project.run([PARAMS, "run", "--seed", "1", "--notes", "notes.txt"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Including file notes\.txt of 18 bytes/);
    expect(summary(r.stdout).notes).toBe("line one\nline two\n");
    const runId = runIdOf(r.stdout);
    rmSync(notes);
    const run = project.flow("ParameterFlow").latestRun!;
    expect(run.id).toBe(runId);
    expect(run.step("end").task.data.notes).toBe("line one\nline two\n");
    const dump = await project.run([PARAMS, "dump", `${runId}/start/1`, "--include", "notes"]);
    expect(dump.code).toBe(0);
    expect(dump.stdout).toContain(`notes [size: `);
    expect(dump.stdout).toContain("line one");
  });
});

describe("logs and dump", () => {
  let runId: string;
  beforeAll(async () => {
    const r = await project.run([FOREACH, "run"]);
    expect(r.code).toBe(0);
    runId = runIdOf(r.stdout);
  });

  it("logs RUN/STEP/TASK prints one task's output; RUN/STEP every task's", async () => {
    const one = await project.run([FOREACH, "logs", `${runId}/each/3`]);
    expect(one.code).toBe(0);
    expect(one.stdout).toBe("child 1 got item1\n");
    const all = await project.run([FOREACH, "logs", `${runId}/each`]);
    expect(all.code).toBe(0);
    expect(all.stdout.trim().split("\n")).toEqual(["child 0 got item0", "child 1 got item1", "child 2 got item2", "child 3 got item3"]);
  });

  it("logs --stdout / --stderr pick a stream", async () => {
    const file = project.write(
      "streams.ts",
      `import { FlowSpec, step } from "steplab";
export class StreamsFlow extends FlowSpec {
  @step start() {
    console.log("to stdout");
    console.error("to stderr");
    this.next(this.end);
  }
  @step end() {}
}
`,
    );
    const r = await project.run([file, "run"]);
    expect(r.code).toBe(0);
    const id = runIdOf(r.stdout);
    const both = await project.run([file, "logs", `${id}/start/1`]);
    expect(both.stdout).toBe("to stdout\n");
    expect(both.stderr).toContain("to stderr\n");
    const out = await project.run([file, "logs", `${id}/start/1`, "--stdout"]);
    expect(out.stdout).toBe("to stdout\n");
    expect(out.stderr).not.toContain("to stderr");
    const err = await project.run([file, "logs", `${id}/start/1`, "--stderr"]);
    expect(err.stdout).toBe("");
    expect(err.stderr).toContain("to stderr\n");
  });

  it("dump prints name [size: N type: T] = value, sorted, with --include, --max-value-size and --private", async () => {
    const r = await project.run([FOREACH, "dump", `${runId}/join/6`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`run_id=${runId} step=join task_id=6`);
    const lines = r.stdout.trim().split("\n").slice(1);
    const names = lines.map((l) => l.split(" ")[0]);
    expect(names).toEqual([...names].sort());
    expect(lines).toContain(`width [size: ${lines.find((l) => l.startsWith("width"))!.match(/size: (\d+)/)![1]} type: number] = 4`);
    expect(r.stdout).toMatch(/^pairs \[size: \d+ type: Array\] = \[ '0:item0', '1:item1', '2:item2', '3:item3' \]$/m);

    const only = await project.run([FOREACH, "dump", `${runId}/join/6`, "--include", "width"]);
    expect(only.stdout.trim().split("\n").slice(1)).toEqual([expect.stringMatching(/^width \[size: \d+ type: number\] = 4$/)]);

    const small = await project.run([FOREACH, "dump", `${runId}/join/6`, "--max-value-size", "5"]);
    expect(small.stdout).toMatch(/^pairs \[size: \d+ type: Array\] = <value too large/m);

    const priv = await project.run([FOREACH, "dump", `${runId}/join/6`, "--private"]);
    expect(priv.stdout).toMatch(/^_status = 'succeeded'$/m);
    expect(priv.stdout).toMatch(/^_inputs = /m);
  });

  it("dump of a step path dumps every task; a missing task is a clear error", async () => {
    const r = await project.run([FOREACH, "dump", `${runId}/each`, "--include", "item"]);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^Dumping output/gm)).toHaveLength(4);
    const missing = await project.run([FOREACH, "dump", `${runId}/each/99`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Task ForeachIndexFlow\/\d+\/each\/99 was not found/);
    const noRun = await project.run([FOREACH, "logs", `123/each/2`]);
    expect(noRun.code).toBe(1);
    expect(noRun.stderr).toContain("does not exist");
  });
});

describe("colour", () => {
  /** What `steplab hello-world.ts run` prints to stdout on a terminal (or not), with `env` added. */
  async function printed(isTTY: boolean, env: Record<string, string> = {}): Promise<string> {
    let stdout = "";
    const base: NodeJS.ProcessEnv = { ...process.env, STEPLAB_DATASTORE: project.datastore };
    delete base.NO_COLOR;
    const io = { stdout: (t: string) => void (stdout += t), stderr: () => {}, env: { ...base, ...env }, cwd: project.dir, isTTY };
    expect(await main([HELLO, "run"], io)).toBe(0);
    return stdout;
  }

  it("a run's lines are coloured on a terminal (magenta time, green task), plain with NO_COLOR or in a pipe", async () => {
    const terminal = await printed(true);
    expect(terminal).toMatch(/\x1b\[35m\d{4}-\d\d-\d\d [\d:.]+\x1b\[39m \x1b\[32m\[\d+\/start\/1 \(pid \d+\)\]\x1b\[39m/);
    expect(await printed(true, { NO_COLOR: "1" })).not.toContain("\x1b[");
    expect(await printed(false)).not.toContain("\x1b[");
  });
});

describe("exit codes", () => {
  it("0 for success, 1 for a failed run, 2 for a usage error", async () => {
    expect((await project.run([HELLO, "run"])).code).toBe(0);
    expect((await project.run([path.join(FLOWS, "failing.ts"), "run"])).code).toBe(1);
    expect((await project.run([HELLO, "run", "--no-such-option"])).code).toBe(2);
    expect((await project.run([HELLO, "frobnicate"])).code).toBe(2);
    expect((await project.run([HELLO, "run", "--max-workers", "zero"])).code).toBe(2);
  });
});
