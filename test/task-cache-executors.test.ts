/**
 * The task cache is the same for every executor: one test file for the local executor (LMDB) and
 * the queue executor (BullMQ workers, S3 + PostgreSQL; the cache index lives in PostgreSQL). Reuse
 * is decided before a task is sent anywhere: with every task reusable, a queued run finishes with
 * no worker listening at all.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadRemoteConfig, RemoteStore, type Store } from "../store/index.js";
import { BIN, Project, runIdOf, taskLines } from "./helpers/cli.js";
import { remoteServices, uniqueRoot } from "./helpers/services.js";

const services = await remoteServices();

const FLOW = `import { FlowSpec, step, Flow, type Inputs } from "steplab";

export class CachedQueueFlow extends FlowSpec {
  declare items: number[];
  declare value: number;
  declare total: number;
  declare runs: number;

  @step start() {
    this.items = [1, 2, 3];
    this.next(this.work, { foreach: "items" });
  }

  @step work() {
    this.value = (this.input as number) * 10;
    this.next(this.join);
  }

  @step join(inputs: Inputs<CachedQueueFlow>) {
    this.total = inputs.reduce((sum, i) => sum + i.value, 0);
    this.next(this.count_runs);
  }

  @step count_runs() {
    this.runs = Flow("CachedQueueFlow").runs.length;
    this.next(this.end);
  }

  @step end() {
    console.log("total", this.total);
  }
}
`;

interface ExecutorUnderTest {
  name: string;
  skip?: string;
  runArgs(): string[];
  env(): Record<string, string>;
  open(project: Project): Store;
  start?(project: Project): Promise<void>;
  stopWorker?(): Promise<void>;
  stop?(): Promise<void>;
}

function localExecutor(): ExecutorUnderTest {
  return { name: "local", runArgs: () => [], env: () => ({}), open: (p) => p.openStore() };
}

function queueExecutor(): ExecutorUnderTest {
  const root = uniqueRoot(services.env, "task-cache");
  const env = { ...services.env, STEPLAB_QUEUE: `steplab-test-${process.pid}-${Date.now().toString(36)}-cache` };
  let worker: ChildProcess | undefined;
  let store: RemoteStore | undefined;
  const cacheDir = mkdtempSync(path.join(tmpdir(), "steplab-task-cache-blobs-"));
  const stopWorker = async () => {
    if (!worker || worker.exitCode !== null) return;
    const exited = new Promise((resolve) => worker!.once("exit", resolve));
    worker.kill("SIGTERM");
    await exited;
  };
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
    stopWorker,
    async stop() {
      await stopWorker();
      await store?.close();
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}

/** Tasks that ran and tasks reused, by step. */
function tally(stdout: string) {
  const ran: Record<string, number> = {};
  const reused: Record<string, number> = {};
  for (const line of taskLines(stdout)) {
    if (line.text === "Task is starting.") ran[line.step] = (ran[line.step] ?? 0) + 1;
    if (line.text.startsWith("Reused results of task ")) reused[line.step] = (reused[line.step] ?? 0) + 1;
  }
  return { ran, reused };
}

describe.each([localExecutor(), queueExecutor()])("the task cache with the $name executor", (executor) => {
  const project = new Project();
  let file: string;
  let mtime = 1_700_000_000;
  const write = (text: string) => {
    writeFileSync(file, text);
    mtime += 10;
    utimesSync(file, mtime, mtime);
  };
  beforeAll(async () => {
    file = project.write("cached_queue.ts", FLOW);
    if (!executor.skip) await executor.start?.(project);
  });
  afterAll(async () => {
    await executor.stop?.();
    await project.cleanup();
  });
  const run = async (...args: string[]) => {
    const r = await project.run([file, "run", ...args, ...executor.runArgs()], { env: executor.env() });
    expect(r.stderr).not.toContain("internal error");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return { ...r, ...tally(r.stdout), runId: runIdOf(r.stdout) };
  };

  it.skipIf(executor.skip)(
    "reuses unchanged tasks, re-runs a changed step, and cuts off below a step whose artifacts came out the same",
    { timeout: 240_000 },
    async () => {
      const first = await run("--cache");
      expect(first.ran).toEqual({ start: 1, work: 3, join: 1, count_runs: 1, end: 1 });

      write(readFileSync(file, "utf8").replace("(this.input as number) * 10", "10 * (this.input as number)"));
      const second = await run("--cache");
      // count_runs read other runs through the client API (on the worker, for the queue): never reused.
      expect(second.ran).toEqual({ work: 3, count_runs: 1, end: 1 });
      expect(second.reused).toEqual({ start: 1, join: 1 });
      expect(second.stdout).toContain(`Reused results of task CachedQueueFlow/${first.runId}/join/5`);

      const store = executor.open(project);
      const reader = store.listTasks("CachedQueueFlow", second.runId, "count_runs")[0]!;
      expect(reader.clientRead).toBe(true);
      expect(store.listTasks("CachedQueueFlow", second.runId, "join")[0]!.reusedFrom).toBe(`CachedQueueFlow/${first.runId}/join/5`);
    },
  );

  it.skipIf(executor.skip)(
    "decides reuse before a task is sent: with every task reusable, no worker is needed",
    { timeout: 240_000 },
    async () => {
      write(readFileSync(file, "utf8").replace("@step count_runs()", "@step({ cache: true }) count_runs()"));
      await run("--cache");
      await executor.stopWorker?.();
      const started = Date.now();
      const all = await run("--cache");
      expect(all.ran).toEqual({});
      expect(all.reused).toEqual({ start: 1, work: 3, join: 1, count_runs: 1, end: 1 });
      expect(Date.now() - started).toBeLessThan(60_000);
    },
  );
});
