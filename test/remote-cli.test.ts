/**
 * The CLI over a remote datastore (S3 + PostgreSQL, real servers from .ci/services.sh): a local run
 * with --datastore s3, then dump, logs, runs and resume reading it through STEPLAB_DATASTORE=s3://…,
 * and the options' usage errors. Skips, saying why, when the services are not running.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, ROOT } from "./helpers/cli.js";
import { remoteServices, uniqueRoot } from "./helpers/services.js";

const services = await remoteServices();
const temp: string[] = [];
afterAll(() => {
  for (const d of temp) rmSync(d, { recursive: true, force: true });
});

function steplab(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const cache = mkdtempSync(path.join(tmpdir(), "steplab-remote-cli-"));
  temp.push(cache);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--no-node-snapshot", BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...services.env, STEPLAB_CACHE_DIR: cache, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (t: string) => (out += t));
    child.stderr.setEncoding("utf8").on("data", (t: string) => (out += t));
    child.on("exit", (code) => resolve({ code, out }));
  });
}

const HELLO = "test/fixtures/flows/hello-world.ts";

describe("run options for the remote datastore", () => {
  it("--with queue refuses a local datastore, naming what to add", async () => {
    const r = await steplab([HELLO, "run", "--with", "queue", "--datastore", "local"]);
    expect(r.code).toBe(2);
    expect(r.out).toContain("--with queue needs a datastore every worker can reach: add --datastore s3");
  });

  it("--datastore s3 without a root says how to give one", async () => {
    const r = await steplab([HELLO, "run", "--datastore", "s3"], { STEPLAB_DATASTORE: "", STEPLAB_CONFIG: "/nonexistent.json" });
    expect(r.code).toBe(2);
    expect(r.out).toContain("--datastore s3 needs an S3 datastore root: --datastore-root s3://BUCKET/PREFIX");
  });
});

describe.skipIf(services.skip)("the CLI over an S3 + PostgreSQL datastore", () => {
  it("runs locally into the remote datastore; dump, logs, runs and resume read it", { timeout: 180_000 }, async () => {
    const root = uniqueRoot(services.env, "cli");
    const run = await steplab([HELLO, "run", "--datastore", "s3", "--datastore-root", root]);
    expect(run.out).toContain("Done!");
    expect(run.code).toBe(0);
    const runId = /run-id (\d+)/.exec(run.out)![1]!;

    const remote = { STEPLAB_DATASTORE: root };
    const dump = await steplab([HELLO, "dump", `${runId}/end`], remote);
    expect(dump.code).toBe(0);
    expect(dump.out).toContain("Metaflow says: Hi!");

    const logs = await steplab([HELLO, "logs", `${runId}/hello`], remote);
    expect(logs.code).toBe(0);
    expect(logs.out).toContain("Metaflow says: Hi!");

    const runs = await steplab(["runs", "HelloFlow"], remote);
    expect(runs.code).toBe(0);
    expect(runs.out).toContain(runId);

    const resumed = await steplab([HELLO, "resume", "hello"], remote);
    expect(resumed.out).toContain(`Resuming HelloFlow/${runId}`);
    expect(resumed.out).toContain("Cloning results of a previously run task");
    expect(resumed.code).toBe(0);

    // Resume on workers: the re-run steps go through the queue.
    const queueEnv = { STEPLAB_QUEUE: `steplab-test-${process.pid}-${Date.now().toString(36)}-resume` };
    const cache = mkdtempSync(path.join(tmpdir(), "steplab-remote-cli-"));
    temp.push(cache);
    const worker = spawn(process.execPath, ["--no-node-snapshot", BIN, "worker", "--concurrency", "1"], {
      cwd: ROOT,
      env: { ...process.env, ...services.env, ...queueEnv, STEPLAB_CACHE_DIR: cache },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let workerOut = "";
    worker.stdout!.setEncoding("utf8").on("data", (t: string) => (workerOut += t));
    try {
      const queued = await steplab([HELLO, "resume", "hello", "--with", "queue", "--datastore-root", root], queueEnv);
      expect(queued.out).toContain("Done!");
      expect(queued.code).toBe(0);
      expect(workerOut).toMatch(/HelloFlow\/\d+\/hello\/\d+#0: finished/);
      expect(workerOut).not.toMatch(/\/start\/\d+: started/);
    } finally {
      worker.kill("SIGTERM");
    }
  });
});
