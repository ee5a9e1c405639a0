/**
 * `process` steps under stress, as a user runs them (the real `steplab` command, real child
 * processes, a real LMDB store): nothing they print is lost, `memoryMb` bounds the whole child
 * (cgroup where the machine offers one, else the RSS watchdog, both exercised), V8's native OOM
 * trace stays out of the logs, stacks name the user's file, and children die with their parent.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { bundleFlow } from "../runtime/bundle/index.js";
import { ProcessSandbox, TaskMemoryError } from "../runtime/sandbox/index.js";
import { storeReader } from "../store/index.js";
import { Project, runIdOf, taskLines } from "./helpers/cli.js";

let project: Project;
beforeAll(() => {
  project = new Project();
});
afterAll(async () => {
  await project.cleanup();
});

const HEADER = `import { FlowSpec, step } from "steplab";\n`;

describe("a process step's output", () => {
  it("reaches the console and the logs whole: 20,000 lines of 100 characters, none cut", async () => {
    project.write(
      "talk.ts",
      `${HEADER}export class TalkFlow extends FlowSpec {
  @step start() { this.next(this.talk); }
  @step({ isolation: "process" }) talk() {
    const pad = "x".repeat(90);
    for (let i = 0; i < 20000; i++) console.log(\`line \${i} \${pad}\`);
    console.error("last words");
    this.next(this.end);
  }
  @step end() {}
}
`,
    );
    const result = await project.run(["talk.ts", "run"]);
    expect(result.code).toBe(0);
    const printed = taskLines(result.stdout).filter((l) => l.step === "talk" && l.text.startsWith("line "));
    expect(printed).toHaveLength(20000);
    expect(printed.at(-1)!.text).toMatch(/^line 19999 x{90}$/);
    const task = project.flow("TalkFlow").latestRun!.step("talk").task;
    const logged = task.stdout.split("\n").filter((l) => l.startsWith("line "));
    expect(logged).toHaveLength(20000);
    expect(task.stderr).toBe("last words\n");
  });
});

describe("memoryMb of a process step", () => {
  // Fills 64 MiB Buffers (outside V8's heap, which --max-old-space-size bounds) up to 2 GiB.
  const HOG = `${HEADER}export class HogFlow extends FlowSpec {
  @step start() { this.next(this.hog); }
  @step({ isolation: "process", memoryMb: 128 }) hog() {
    const kept: Buffer[] = [];
    for (let i = 1; i <= 32; i++) { kept.push(Buffer.alloc(64 * 1024 * 1024, i)); console.log(\`holding \${i * 64} MiB\`); }
    this.next(this.end);
  }
  @step end() {}
}
`;

  it("stops a step filling Buffers near its limit with TaskMemoryError", async () => {
    project.write("hog.ts", HOG);
    const result = await project.run(["hog.ts", "run"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("TaskMemoryError: Step 'hog' used more than its memory limit (128 MB)");
    const held = taskLines(result.stdout)
      .map((l) => /^holding (\d+) MiB$/.exec(l.text)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);
    // Stopped within a few samples of the limit, never near the 2 GiB it asked for.
    expect(Math.max(0, ...held)).toBeLessThanOrEqual(512);
    expect(result.stdout).toContain("Workflow failed.");
  });

  it("the RSS watchdog (where no cgroup is offered) stops it as well", async () => {
    const file = project.write("hog-direct.ts", HOG.replace("HogFlow", "HogDirectFlow"));
    const store = project.openStore();
    const sandbox = new ProcessSandbox(await bundleFlow(file, "process"), "HogDirectFlow", store.root, { memoryGuard: "watchdog" });
    let held = 0;
    const io = {
      reader: storeReader(store),
      output: (_: "stdout" | "stderr", text: string) => {
        for (const m of text.matchAll(/holding (\d+) MiB/g)) held = Math.max(held, Number(m[1]));
      },
    };
    const request = {
      flow: "HogDirectFlow",
      step: "hog",
      pathspec: "HogDirectFlow/1/hog/2",
      initial: {},
      parameters: {},
      steps: ["start", "hog", "end"],
    };
    const err = await sandbox.runTask(request, io, { memoryMb: 128 }).catch((e: Error) => e);
    await sandbox.dispose();
    expect(err).toBeInstanceOf(TaskMemoryError);
    expect(held).toBeLessThanOrEqual(512);
  });

  it("a step out of V8 heap fails with TaskMemoryError, without V8's native trace in its logs", async () => {
    project.write(
      "heap.ts",
      `${HEADER}export class HeapFlow extends FlowSpec {
  @step start() { this.next(this.heap); }
  @step({ isolation: "process", memoryMb: 64 }) heap() {
    console.error("before the fall");
    const kept: number[][] = [];
    while (kept.length >= 0) kept.push(new Array(100000).fill(1));
    this.next(this.end);
  }
  @step end() {}
}
`,
    );
    const result = await project.run(["heap.ts", "run"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("TaskMemoryError: Step 'heap' used more than its memory limit (64 MB)");
    const stderr = project.flow("HeapFlow").latestRun!.step("heap").task.stderr;
    expect(stderr).toContain("before the fall");
    expect(stderr).not.toMatch(/Last few GCs|FATAL ERROR|Native stack trace|node::/);
    expect(result.stdout + result.stderr).not.toMatch(/Last few GCs|FATAL ERROR|Native stack trace/);
  });
});

describe("a process step's failure", () => {
  it("shows a stack naming the user's own file, which exists", async () => {
    project.write(
      "fails.ts",
      `${HEADER}function boom(): never {
  throw new Error("boom in a child");
}
export class FailsFlow extends FlowSpec {
  @step start() { this.next(this.bad); }
  @step({ isolation: "process" }) bad() { boom(); this.next(this.end); }
  @step end() {}
}
`,
    );
    const result = await project.run(["fails.ts", "run"]);
    expect(result.code).toBe(1);
    const frames = taskLines(result.stdout)
      .filter((l) => l.step === "bad")
      .map((l) => /^at (\w+) \((.+):(\d+):\d+\)$/.exec(l.text))
      .filter((m): m is RegExpExecArray => m !== null);
    expect(frames.map((m) => m[1])).toEqual(["boom", "bad"]);
    for (const m of frames) {
      expect(m[2]).not.toContain("steplab-bundles");
      expect(existsSync(path.resolve(project.dir, m[2]!))).toBe(true);
      expect(path.basename(m[2]!)).toBe("fails.ts");
    }
  });
});

describe("a process step's child", () => {
  const spawned: number[] = [];
  afterEach(() => {
    for (const pid of spawned.splice(0)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone, as it should be
      }
    }
  });

  /** Running (a zombie waiting for init to reap it is dead already). */
  function alive(pid: number): boolean {
    try {
      return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
      return false;
    }
  }

  it("dies with steplab when steplab is killed with SIGKILL", async () => {
    project.write(
      "orphan.ts",
      `${HEADER}export class OrphanFlow extends FlowSpec {
  @step start() { this.next(this.nap); }
  @step({ isolation: "process" }) nap() {
    console.log("child", process.pid);
    const until = Date.now() + 120_000;
    while (Date.now() < until) {} // busy: it never returns to its event loop
    this.next(this.end);
  }
  @step end() {}
}
`,
    );
    const child = project.spawn(["orphan.ts", "run"]);
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (t: string) => (out += t));
    const pid = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no child pid in:\n${out}`)), 30_000);
      child.stdout!.on("data", () => {
        const m = / child (\d+)$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    spawned.push(pid);
    runIdOf(out);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("close", resolve));
    const deadline = Date.now() + 5000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid)).toBe(false);
  });
});
