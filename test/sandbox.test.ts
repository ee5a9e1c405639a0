/**
 * One test file for every sandbox (DESIGN: one interface, tested the same way): artifacts in and
 * out, console capture, errors with mapped stacks, missing artifacts, timers, interrupt, timeout
 * and the memory limit — against a real LMDB store, real isolates and real child processes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { decodeArtifact, encodeArtifact, joinParts, openStore, sha256, type Store } from "../store/index.js";
import { storeReader } from "../store/index.js";
import { bundleFlow } from "../runtime/bundle/index.js";
import {
  IsolateSandbox,
  ProcessSandbox,
  TaskInterruptedError,
  TaskMemoryError,
  TaskTimeoutError,
  type Sandbox,
  type TaskIO,
  type TaskLimits,
  type TaskRequest,
  type TaskResult,
} from "../runtime/sandbox/index.js";

const FLOW = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "flows", "sandbox-probe.ts");
const STEPS = ["start", "timers", "fails", "missing", "loops", "hungry", "join", "end"];

let dir: string;
let store: Store;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "steplab-sandbox-"));
  store = openStore(dir);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function put(values: Record<string, unknown>): Promise<Record<string, string>> {
  const blobs = new Map<string, Uint8Array>();
  const shas: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    const bytes = encodeArtifact(value);
    shas[name] = sha256(bytes);
    blobs.set(shas[name]!, bytes);
  }
  await store.putBlobs(blobs);
  return shas;
}

function request(step: string, initial: Record<string, string> = {}, extra: Partial<TaskRequest> = {}): TaskRequest {
  return { flow: "SandboxProbeFlow", step, pathspec: `SandboxProbeFlow/1/${step}/1`, initial, parameters: {}, steps: STEPS, ...extra };
}

interface Captured {
  stdout: string;
  stderr: string;
  io: TaskIO;
}

function capture(): Captured {
  const c: Captured = {
    stdout: "",
    stderr: "",
    io: { reader: storeReader(store), output: (stream, text) => void (c[stream] += text) },
  };
  return c;
}

function values(result: TaskResult): Record<string, unknown> {
  return Object.fromEntries([...result.artifacts].map(([n, a]) => [n, decodeArtifact(joinParts(a.parts))]));
}

const kinds: [string, () => Promise<Sandbox>][] = [
  ["isolate", async () => new IsolateSandbox(await bundleFlow(FLOW, "isolate"), "SandboxProbeFlow")],
  ["process", async () => new ProcessSandbox(await bundleFlow(FLOW, "process"), "SandboxProbeFlow", dir)],
];

describe.each(kinds)("%s sandbox", (kind, make) => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await make();
  });
  afterAll(async () => {
    await sandbox.dispose();
  });

  const run = (req: TaskRequest, c = capture(), limits?: TaskLimits) => sandbox.runTask(req, c.io, limits);

  it("reads input artifacts and hands back what the step set, with the transition", async () => {
    const c = capture();
    const result = await run(request("start", await put({ value: 21 })), c);
    expect(result.outcome.next).toEqual({ steps: ["end"] });
    expect(values(result)).toEqual({ doubled: 42, items: new Map([["a", 1]]) });
    expect(result.artifacts.get("items")!.type).toBe("Map");
    expect(kind === "isolate" ? result.pid === process.pid : result.pid !== process.pid).toBe(true);
  });

  it("captures console output per stream", async () => {
    const c = capture();
    await run(request("start", await put({ value: 1 })), c);
    expect(c.stdout).toBe("hello from start { n: 1 }\n");
    expect(c.stderr).toContain("a warning\n");
  });

  it("gives a join its inputs", async () => {
    const a = await put({ value: 2 });
    const b = await put({ value: 3 });
    const result = await run(
      request(
        "join",
        {},
        {
          inputs: [
            { pathspec: "SandboxProbeFlow/1/a/2", step: "a", artifacts: a },
            { pathspec: "SandboxProbeFlow/1/b/3", step: "b", artifacts: b },
          ],
        },
      ),
    );
    expect(values(result)).toEqual({ sum: 5 });
  });

  it("runs timers, intervals and microtasks of async steps", async () => {
    const result = await run(request("timers"));
    expect(values(result).waited).toEqual(["timeout", "interval", "microtask"]);
  });

  it("rebuilds a user error with its name and a stack mapped to the flow's .ts lines", async () => {
    const err = await run(request("fails")).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe("TypeError");
    expect((err as Error).message).toBe("exploded in a helper");
    const stack = (err as Error).stack!;
    expect(stack).toMatch(/at explode \(.*sandbox-probe\.ts:4:\d+\)/);
    expect(stack).toMatch(/at fails \(.*sandbox-probe\.ts:47:\d+\)/);
    expect(stack).not.toMatch(/runtime\/sandbox|node_modules/);
    // Only the user's frames: none of the runtime's (its context script, its entry function).
    const frames = stack.split("\n").filter((l) => /^\s+at /.test(l));
    expect(frames.filter((l) => !/sandbox-probe\.ts:\d+:\d+\)?$/.test(l))).toEqual([]);
  });

  it("a missing artifact is Flow X has no attribute 'y'", async () => {
    const err = (await run(request("missing")).catch((e: Error) => e)) as Error & { code?: string };
    expect(err.message).toBe("Flow SandboxProbeFlow has no attribute 'nothing'");
    expect(err.code).toBe("MISSING_ARTIFACT");
  });

  it("stops a task at its timeoutSeconds, then runs the next task", async () => {
    const err = await run(request("loops"), capture(), { timeoutSeconds: 1 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(TaskTimeoutError);
    expect((err as Error).message).toContain("timeoutSeconds (1 s)");
    const after = await run(request("start", await put({ value: 5 })));
    expect(values(after).doubled).toBe(10);
  });

  it("interrupt stops a running task, then runs the next task", async () => {
    const running = run(request("loops"));
    await new Promise((resolve) => setTimeout(resolve, kind === "process" ? 1500 : 300));
    sandbox.interrupt();
    await expect(running).rejects.toBeInstanceOf(TaskInterruptedError);
    const after = await run(request("start", await put({ value: 6 })));
    expect(values(after).doubled).toBe(12);
  });

  it("a task over its memoryMb fails with TaskMemoryError and the sandbox stays usable", async () => {
    const err = await run(request("hungry"), capture(), { memoryMb: 64 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(TaskMemoryError);
    expect((err as Error).message).toContain("memory limit (64 MB)");
    const after = await run(request("start", await put({ value: 7 })));
    expect(values(after).doubled).toBe(14);
  });
});

describe("isolate sandbox: the same flow file in two folders", () => {
  it("maps a stack to the file that ran, not to an earlier copy whose compiled code it shares", async () => {
    // Copies of one flow (say, a project cloned twice) bundle to the same code when each is bundled
    // from its own folder; V8's code cache of the first must not name the first file in the second's stacks.
    const cwd = process.cwd();
    const stacks: string[] = [];
    try {
      for (const name of ["first", "second"]) {
        const folder = path.join(dir, name);
        mkdirSync(folder);
        copyFileSync(FLOW, path.join(folder, "sandbox-probe.ts"));
        process.chdir(folder);
        const sandbox = new IsolateSandbox(await bundleFlow(path.join(folder, "sandbox-probe.ts"), "isolate"), "SandboxProbeFlow");
        try {
          const err = await sandbox.runTask(request("fails"), capture().io).catch((e: Error) => e);
          stacks.push((err as Error).stack ?? "");
        } finally {
          await sandbox.dispose();
        }
      }
    } finally {
      process.chdir(cwd);
    }
    expect(stacks[0]).toMatch(/at fails \(.*sandbox-probe\.ts:47:\d+\)/);
    expect(stacks[1]).toMatch(/at fails \(.*sandbox-probe\.ts:47:\d+\)/);
    expect(stacks[1]).not.toContain("bundle.js");
  });
});
