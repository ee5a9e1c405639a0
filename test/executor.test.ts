/**
 * One test file for both executors (as test/sandbox.test.ts is for both sandboxes): the local
 * executor (tasks in this process's sandboxes, LMDB) and the queue executor (each attempt a BullMQ
 * job run by a `steplab worker`, S3 + PostgreSQL). Retries, catch and a failed task's artifacts
 * must behave the same, because the attempt policy is written once (runtime/executor/attempts.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Task } from "../runtime/client/index.js";
import { decodeArtifact, loadRemoteConfig, RemoteStore, storeReader, taskPathspec, type Store } from "../store/index.js";
import { BIN, Project, runIdOf, taskLines } from "./helpers/cli.js";
import { remoteServices, uniqueRoot } from "./helpers/services.js";

const services = await remoteServices();

interface ExecutorUnderTest {
  name: string;
  skip?: string;
  /** Options `run` takes to use this executor. */
  runArgs(): string[];
  env(): Record<string, string>;
  open(project: Project): Store;
  start?(project: Project): Promise<void>;
  stop?(): Promise<void>;
}

function localExecutor(): ExecutorUnderTest {
  return { name: "local", runArgs: () => [], env: () => ({}), open: (p) => p.openStore() };
}

function queueExecutor(): ExecutorUnderTest {
  const root = uniqueRoot(services.env, "executor");
  const env = { ...services.env, STEPLAB_QUEUE: `steplab-test-${process.pid}-${Date.now().toString(36)}-executor` };
  let worker: ChildProcess | undefined;
  let store: RemoteStore | undefined;
  const cacheDir = mkdtempSync(path.join(tmpdir(), "steplab-executor-cache-"));
  return {
    name: "queue",
    skip: services.skip,
    runArgs: () => ["--with", "queue", "--datastore", "s3", "--datastore-root", root],
    env: () => env,
    open: () => (store ??= new RemoteStore(root, { config: loadRemoteConfig(tmpdir(), env), cacheDir })),
    async start(project) {
      worker = spawn(process.execPath, ["--no-node-snapshot", BIN, "worker", "--concurrency", "2"], {
        cwd: project.dir,
        env: { ...project.env(env), STEPLAB_CACHE_DIR: cacheDir },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      worker.stdout!.setEncoding("utf8").on("data", (t: string) => (out += t));
      worker.stderr!.setEncoding("utf8").on("data", (t: string) => (out += t));
      const deadline = Date.now() + 60_000;
      while (!/listening/.test(out)) {
        if (Date.now() > deadline) throw new Error(`the worker did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      worker?.kill("SIGTERM");
      await store?.close();
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}

describe.each([localExecutor(), queueExecutor()])("the $name executor", (executor) => {
  const project = new Project();
  beforeAll(async () => {
    if (!executor.skip) await executor.start?.(project);
  });
  afterAll(async () => {
    await executor.stop?.();
    await project.cleanup();
  });
  const run = (file: string, ...args: string[]) => project.run([file, "run", ...args, ...executor.runArgs()], { env: executor.env() });
  const data = (store: Store, sha: string) => decodeArtifact(store.getBlob(sha));

  it.skipIf(executor.skip)(
    "retries a failed task up to its retries, then catch keeps the exception and the run goes on",
    {
      timeout: 180_000,
    },
    async () => {
      const file = project.fixture("retry-catch.ts");
      const marker = path.join(project.dir, `tries-${executor.name}`);
      const r = await run(file, "--marker", marker, "--failures", "2");
      expect(r.stderr).not.toContain("internal error");
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const lines = taskLines(r.stdout);
      const flaky = lines.filter((l) => l.step === "flaky").map((l) => l.text);
      expect(flaky.filter((t) => t === "Task failed.")).toHaveLength(2);
      expect(flaky).toContain("Retrying (attempt 2 of 3).");
      expect(flaky).toContain("Retrying (attempt 3 of 3).");
      expect(flaky).toContain("Error: attempt 1 fails on purpose");
      expect(flaky).toContain("Task finished successfully.");
      expect(r.stdout).toContain('results [2,null,6] caught [[2,"TypeError","item 2 is bad"]]');
      expect(lines.some((l) => l.step === "fan" && /kept in artifact 'failure' \(catch\)/.test(l.text))).toBe(true);

      const store = executor.open(project);
      const runId = runIdOf(r.stdout);
      const flakyTask = store.listTasks("RetryCatchFlow", runId, "flaky")[0]!;
      expect(flakyTask.status).toBe("succeeded");
      expect(flakyTask.attempt).toBe(2);
      const caught = store.listTasks("RetryCatchFlow", runId, "fan").find((t) => t.caught)!;
      expect(caught.status).toBe("succeeded");
      expect(data(store, caught.artifacts.seen!.sha)).toBe(2);
      expect(data(store, caught.artifacts.failure!.sha)).toMatchObject({ type: "TypeError", message: "item 2 is bad" });
      expect(store.getRun("RetryCatchFlow", runId)!.status).toBe("succeeded");
    },
  );

  it.skipIf(executor.skip)(
    "fails the run when every attempt fails, and the failed task keeps its last attempt",
    {
      timeout: 180_000,
    },
    async () => {
      const file = project.fixture("retry-catch.ts");
      const r = await run(file, "--marker", path.join(project.dir, `always-${executor.name}`), "--failures", "5");
      expect(r.code).toBe(1);
      const flaky = taskLines(r.stdout)
        .filter((l) => l.step === "flaky")
        .map((l) => l.text);
      expect(flaky.filter((t) => t === "Task failed.")).toHaveLength(3);
      expect(flaky).not.toContain("Retrying (attempt 4 of 3).");
      const store = executor.open(project);
      const task = store.listTasks("RetryCatchFlow", runIdOf(r.stdout), "flaky")[0]!;
      expect(task).toMatchObject({ status: "failed", attempt: 2 });
      expect(task.error?.message).toBe("attempt 2 fails on purpose");
    },
  );

  it.skipIf(executor.skip)(
    "current tells each attempt its run, task and retry count; the client says which attempt won",
    { timeout: 180_000 },
    async () => {
      const r = await project.run([project.fixture("current.ts"), "run", "--tag", "executor", ...executor.runArgs()], {
        env: { ...executor.env(), STEPLAB_USER: "grace" },
      });
      expect(r.code).toBe(1); // its end step fails until the run is resumed
      const store = executor.open(project);
      const runId = runIdOf(r.stdout);
      const flaky = Task(taskPathspec(store.listTasks("CurrentFlow", runId, "flaky")[0]!), storeReader(store));
      expect(flaky.attempt).toBe(1);
      expect(flaky.data.atFlaky).toMatchObject({ runId, stepName: "flaky", taskId: flaky.id, retryCount: 1, username: "grace" });
      expect(flaky.data.atFlaky.tags).toEqual(expect.arrayContaining(["user:grace", "executor"]));
      const end = store.listTasks("CurrentFlow", runId, "end")[0]!;
      expect(end.status).toBe("failed");
      expect(data(store, end.artifacts.atEnd!.sha)).toMatchObject({ stepName: "end", runId });
    },
  );

  it.skipIf(executor.skip)("a failed task keeps the artifacts it set before it threw", { timeout: 120_000 }, async () => {
    const file = project.fixture("keeps-partial.ts");
    const r = await run(file);
    expect(r.code).toBe(1);
    const store = executor.open(project);
    const task = store.listTasks("KeepsPartialFlow", runIdOf(r.stdout), "work")[0]!;
    expect(task.status).toBe("failed");
    expect(data(store, task.artifacts.progress!.sha)).toBe(2);
    expect(data(store, task.artifacts.rows!.sha)).toEqual([{ id: 1 }, { id: 2 }]);
    expect(data(store, task.artifacts.base!.sha)).toBe(1);
  });
});
