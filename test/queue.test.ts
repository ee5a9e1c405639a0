/**
 * Scale-out end to end, on real servers (.ci/services.sh): the runtime sends a 200-task foreach to
 * two separate `steplab worker` processes through BullMQ on Redis, with artifacts in S3 (Swift)
 * and metadata in PostgreSQL; one worker is killed with SIGKILL while it runs tasks. The run must
 * finish with the right result, every artifact and record readable through the client API.
 * Skips, saying why, when the services are not running.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { Flow, setDefaultReader } from "../runtime/client/index.js";
import { storeReader } from "../store/index.js";
import { loadRemoteConfig, RemoteStore } from "../store/index.js";
import { BIN, ROOT } from "./helpers/cli.js";
import { remoteServices, uniqueRoot } from "./helpers/services.js";

const services = await remoteServices();
const temp: string[] = [];
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of temp) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "steplab-queue-"));
  temp.push(d);
  return d;
}

interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function start(args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ["--no-node-snapshot", BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, STEPLAB_CACHE_DIR: tempDir(), NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let text = "";
  child.stdout!.setEncoding("utf8").on("data", (t: string) => (text += t));
  child.stderr!.setEncoding("utf8").on("data", (t: string) => (text += t));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, out: () => text, exited };
}

async function until(what: string, check: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Job ids a worker's log says it started and has not finished. */
function running(log: string): string[] {
  const started = new Set<string>();
  for (const line of log.split("\n")) {
    const m = /\] (\S+): (started|finished|failed)/.exec(line);
    if (!m) continue;
    if (m[2] === "started") started.add(m[1]!);
    else started.delete(m[1]!);
  }
  return [...started];
}

const finishedCount = (log: string) => log.split("\n").filter((l) => / finished$/.test(l)).length;

describe.skipIf(services.skip)("steplab worker + run --with queue (Redis, S3, PostgreSQL)", () => {
  it("runs a 200-task foreach on two workers, one killed with SIGKILL mid-run, losing nothing", { timeout: 600_000 }, async () => {
    const root = uniqueRoot(services.env, "queue-e2e");
    const env = {
      ...services.env,
      STEPLAB_QUEUE: `steplab-test-${process.pid}-${Date.now().toString(36)}`,
      // A killed worker's jobs count as stalled after this long, then run elsewhere.
      STEPLAB_WORKER_LOCK_MS: "8000",
    };
    const a = start(["worker", "--concurrency", "3"], env);
    const b = start(["worker", "--concurrency", "3"], env);
    await until("both workers to listen", () => /listening/.test(a.out()) && /listening/.test(b.out()));

    const run = start(
      [
        "test/fixtures/queue/wide-queue-flow.ts",
        "run",
        "--width",
        "200",
        "--spin",
        "40",
        "--max-num-splits",
        "300",
        "--with",
        "queue",
        "--datastore",
        "s3",
        "--datastore-root",
        root,
      ],
      env,
    );
    // Kill worker A while it is in the middle of tasks, after it has done some.
    await until("worker A to finish some tasks and hold others", () => finishedCount(a.out()) >= 15 && running(a.out()).length > 0);
    const inFlight = running(a.out());
    a.child.kill("SIGKILL");
    expect(await a.exited).toBeNull();

    const code = await run.exited;
    expect(run.out()).toContain("Done!");
    expect(code).toBe(0);
    expect(b.out()).toMatch(/finished/);

    // Everything through the client API over the remote datastore, as a user reads it.
    const store = new RemoteStore(root, { config: loadRemoteConfig(tmpdir(), env), cacheDir: tempDir() });
    setDefaultReader(() => storeReader(store));
    let runId: string;
    try {
      const flow = Flow("WideQueueFlow");
      const latest = flow.latestRun!;
      runId = latest.record.runId;
      expect(latest.successful).toBe(true);
      expect(latest.data!.total).toBe(2 * ((199 * 200) / 2));
      expect(latest.data!.count).toBe(200);
      const work = latest.step("work").tasks;
      expect(work).toHaveLength(200);
      const pids = new Set<number>();
      for (const task of work) {
        expect(task.successful).toBe(true);
        const item = task.index!;
        expect(task.data.doubled).toBe(item * 2);
        expect(task.data.payload).toBeInstanceOf(Float64Array);
        expect(task.data.payload[63]).toBe(item);
        expect(task.stdout).toBe(`item ${item}\n`);
        pids.add(task.record.pid!);
      }
      // Both workers ran tasks, and what the killed one held was finished by the other.
      expect(pids.has(a.child.pid!)).toBe(true);
      expect(pids.has(b.child.pid!)).toBe(true);
      for (const jobId of inFlight) {
        // Job ids are the task's pathspec and its attempt: Flow/run/step/task#attempt.
        const [, , step, taskId] = jobId.replace(/#\d+$/, "").split("/");
        const task = store.getTask("WideQueueFlow", latest.record.runId, step!, taskId!);
        expect(task?.status).toBe("succeeded");
        // Worker B ran it again, unless A had committed it just before it died (B then skips it).
        expect([a.child.pid, b.child.pid]).toContain(task?.pid);
      }
      expect(latest.endTask!.stdout).toBe("total 39800\n");
    } finally {
      await store.close();
    }

    // The CLI reads the remote datastore as it reads a local one.
    const logs = start(["test/fixtures/queue/wide-queue-flow.ts", "logs", `${runId}/end`], {
      ...env,
      STEPLAB_DATASTORE: root,
    });
    expect(await logs.exited).toBe(0);
    expect(logs.out()).toContain("total 39800");

    b.child.kill("SIGTERM");
    expect(await b.exited).toBe(0);
  });

  it("shows what a task prints while it runs, and only once", { timeout: 300_000 }, async () => {
    const root = uniqueRoot(services.env, "queue-live");
    const env = { ...services.env, STEPLAB_QUEUE: `steplab-test-${process.pid}-${Date.now().toString(36)}-live` };
    const worker = start(["worker"], env);
    await until("the worker to listen", () => /listening/.test(worker.out()));
    const go = path.join(tempDir(), "go");
    const run = start(
      ["test/fixtures/queue/live-output-flow.ts", "run", "--go", go, "--with", "queue", "--datastore", "s3", "--datastore-root", root],
      env,
    );
    try {
      // The task goes on only once this side has seen its first line: output at the task's end would never come.
      await until("the task's first line while it runs", () => /waiting for go/.test(run.out()));
      expect(run.out()).not.toContain("went");
      writeFileSync(go, "go");
      expect(await run.exited).toBe(0);
      expect(run.out()).toContain("went");
      expect(run.out()).toContain("done waiting");
      expect(run.out().match(/waiting for go/g)).toHaveLength(1);
    } finally {
      worker.child.kill("SIGTERM");
      await worker.exited;
    }
  });

  it("sends each of a step's attempts as a job; a process step on a worker reads the remote datastore; a re-sent task is not run twice", {
    timeout: 300_000,
  }, async () => {
    const root = uniqueRoot(services.env, "queue-retry");
    const queueName = `steplab-test-${process.pid}-${Date.now().toString(36)}-retry`;
    const env = { ...services.env, STEPLAB_QUEUE: queueName };
    const worker = start(["worker", "--concurrency", "2"], env);
    await until("the worker to listen", () => /listening/.test(worker.out()));
    const marker = path.join(tempDir(), "tried");
    const run = start(
      [
        "test/fixtures/queue/flaky-queue-flow.ts",
        "run",
        "--marker",
        marker,
        "--with",
        "queue",
        "--datastore",
        "s3",
        "--datastore-root",
        root,
      ],
      env,
    );
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain("result 42");
    // Each attempt is a job of its own: #0 failed, #1 succeeded.
    expect(worker.out()).toMatch(/flaky\/2#0: failed: first attempt fails on purpose/);
    expect(worker.out()).toMatch(/flaky\/2#1: finished/);

    const store = new RemoteStore(root, { config: loadRemoteConfig(tmpdir(), env), cacheDir: tempDir() });
    const queue = new Queue(queueName, { connection: { url: services.env.STEPLAB_REDIS_URL } as never });
    try {
      const [runRecord] = store.listRuns("FlakyQueueFlow");
      const runId = runRecord!.runId;
      const flaky = store.getTask("FlakyQueueFlow", runId, "flaky", "2")!;
      expect(flaky.status).toBe("succeeded");
      expect(flaky.attempt).toBe(1);

      // The same task sent again is the same job: nothing new to run.
      const jobId = `FlakyQueueFlow/${runId}/start/1#0`;
      const job = (await queue.getJob(jobId))!;
      expect(await job.getState()).toBe("completed");
      await queue.add("task", job.data, { jobId });
      expect(await queue.getJobCounts("waiting", "active")).toMatchObject({ waiting: 0, active: 0 });
      // Even once the job is gone from Redis, a worker does not run a task the datastore has as done.
      const before = store.getTask("FlakyQueueFlow", runId, "start", "1")!;
      await job.remove();
      await queue.add("task", job.data, { jobId });
      await until("the worker to skip the re-sent task", () => /start\/1#0: already succeeded, not run again/.test(worker.out()));
      expect(store.getTask("FlakyQueueFlow", runId, "start", "1")).toEqual(before);
    } finally {
      await queue.close();
      await store.close();
      worker.child.kill("SIGTERM");
      await worker.exited;
    }
  });

  it("a worker that cannot reach S3 fails its task with a clear error, and the run fails instead of hanging", {
    timeout: 300_000,
  }, async () => {
    const root = uniqueRoot(services.env, "queue-nos3");
    const env = { ...services.env, STEPLAB_QUEUE: `steplab-test-${process.pid}-${Date.now().toString(36)}-nos3` };
    const worker = start(["worker", "--concurrency", "1"], { ...env, STEPLAB_S3_ENDPOINT: "http://127.0.0.1:1" });
    await until("the worker to listen", () => /listening/.test(worker.out()));
    const run = start(
      ["test/fixtures/queue/wide-queue-flow.ts", "run", "--width", "2", "--with", "queue", "--datastore", "s3", "--datastore-root", root],
      env,
    );
    expect(await run.exited).toBe(1);
    expect(run.out()).toMatch(/the artifact store \(S3 at http:\/\/127\.0\.0\.1:1, bucket [\w-]+\) failed/);
    expect(run.out()).toContain("Step start (task-id 1) failed.");
    worker.child.kill("SIGTERM");
    await worker.exited;
  });

  it("a worker that cannot reach PostgreSQL fails its task with a clear error, recorded by the scheduler", {
    timeout: 300_000,
  }, async () => {
    const root = uniqueRoot(services.env, "queue-nodb");
    const env = { ...services.env, STEPLAB_QUEUE: `steplab-test-${process.pid}-${Date.now().toString(36)}-nodb` };
    const worker = start(["worker", "--concurrency", "1"], { ...env, STEPLAB_DB_URL: "postgres://postgres@127.0.0.1:1/steplab" });
    await until("the worker to listen", () => /listening/.test(worker.out()));
    const run = start(
      ["test/fixtures/queue/wide-queue-flow.ts", "run", "--width", "2", "--with", "queue", "--datastore", "s3", "--datastore-root", root],
      env,
    );
    expect(await run.exited).toBe(1);
    expect(run.out()).toMatch(/the metadata database \(PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/steplab\) failed: ECONNREFUSED/);
    const store = new RemoteStore(root, { config: loadRemoteConfig(tmpdir(), env), cacheDir: tempDir() });
    try {
      const [runRecord] = store.listRuns("WideQueueFlow");
      const task = store.getTask("WideQueueFlow", runRecord!.runId, "start", "1");
      expect(task?.status).toBe("failed");
      expect(task?.error?.message).toMatch(/PostgreSQL/);
    } finally {
      await store.close();
      worker.child.kill("SIGTERM");
      await worker.exited;
    }
  });
});
