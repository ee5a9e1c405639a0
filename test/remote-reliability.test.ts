/**
 * The S3 + PostgreSQL datastore under the same promises as the local one (real servers from
 * .ci/services.sh): a client script reading it exits once it has printed, and a damaged S3 object
 * is an error naming the store, the object's role and the artifact, which the next run storing the
 * same value repairs instead of reusing.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import { BIN } from "./helpers/cli.js";
import { remoteServices, uniqueRoot } from "./helpers/services.js";

const services = await remoteServices();
const temp: string[] = [];
afterAll(() => {
  for (const d of temp) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "steplab-remote-rel-"));
  temp.push(dir);
  return dir;
}

interface Ran {
  code: number | null;
  out: string;
  ms: number;
}

function node(args: string[], cwd: string, env: Record<string, string>, timeoutMs = 60_000): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--no-node-snapshot", ...args], {
      cwd,
      env: { ...process.env, ...services.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (t: string) => (out += t));
    child.stderr.setEncoding("utf8").on("data", (t: string) => (out += t));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out, ms: Date.now() - started });
    });
  });
}

const FLOW = `import { FlowSpec, step } from "steplab";
export class RemoteKeepFlow extends FlowSpec {
  declare data: number[];
  @step start() { this.data = Array.from({ length: 5000 }, (_, i) => i % 97); this.next(this.end); }
  @step end() { console.log("sum", this.data.reduce((a, b) => a + b, 0)); }
}
`;

describe.skipIf(services.skip)("the S3 + PostgreSQL datastore", () => {
  it("a client-API script reading it exits once it has printed", { timeout: 180_000 }, async () => {
    const dir = tempDir();
    const root = uniqueRoot(services.env, "client-exit");
    writeFileSync(path.join(dir, "keep.ts"), FLOW);
    const env = { STEPLAB_CACHE_DIR: tempDir() };
    const run = await node([BIN, "keep.ts", "run", "--datastore", "s3", "--datastore-root", root], dir, env);
    expect(run.code).toBe(0);
    const runtime = path.join(path.dirname(path.dirname(BIN)), "dist", "runtime", "index.js");
    writeFileSync(
      path.join(dir, "read.mjs"),
      `import { Flow } from ${JSON.stringify(runtime)};\nconsole.log("latest", Flow("RemoteKeepFlow").latestRun.step("end").task.stdout.trim());\n`,
    );
    const read = await node(["read.mjs"], dir, { ...env, STEPLAB_DATASTORE: root }, 30_000);
    expect(read.out).toContain("latest sum");
    expect(read.code).toBe(0);
  });

  it("a damaged S3 object is an error naming the store and the artifact; the next run repairs it", { timeout: 180_000 }, async () => {
    const dir = tempDir();
    const root = uniqueRoot(services.env, "damaged");
    writeFileSync(path.join(dir, "keep.ts"), FLOW);
    const first = await node([BIN, "keep.ts", "run", "--datastore", "s3", "--datastore-root", root], dir, { STEPLAB_CACHE_DIR: tempDir() });
    expect(first.code).toBe(0);
    const runId = /run-id (\d+)/.exec(first.out)![1]!;

    // Every artifact object of the flow, overwritten with other bytes (a bad copy, bit rot).
    const s3 = new S3Client({
      region: services.env.AWS_REGION ?? "us-east-1",
      endpoint: services.env.STEPLAB_S3_ENDPOINT,
      forcePathStyle: true,
      credentials: { accessKeyId: services.env.AWS_ACCESS_KEY_ID!, secretAccessKey: services.env.AWS_SECRET_ACCESS_KEY! },
    });
    const bucket = services.env.STEPLAB_TEST_BUCKET;
    const prefix = root.replace(/^s3:\/\/[^/]+\//, "");
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/RemoteKeepFlow/data/` }));
    expect(listed.Contents?.length).toBeGreaterThan(0);
    for (const o of listed.Contents ?? []) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: o.Key!, Body: Buffer.from("x".repeat(64)) }));
    }
    s3.destroy();

    const remote = { STEPLAB_DATASTORE: root };
    const dump = await node([BIN, "keep.ts", "dump", `${runId}/start`, "--max-value-size", "1000000"], dir, {
      ...remote,
      STEPLAB_CACHE_DIR: tempDir(),
    });
    expect(dump.code).toBe(1);
    expect(dump.out).toContain(`in the steplab datastore at ${root} (its S3 object) is damaged`);
    expect(dump.out).toContain(`artifact 'data' of RemoteKeepFlow/${runId}/start/1`);

    const again = await node([BIN, "keep.ts", "run", "--datastore", "s3", "--datastore-root", root], dir, { STEPLAB_CACHE_DIR: tempDir() });
    expect(again.code).toBe(0);
    const repaired = await node([BIN, "keep.ts", "dump", `${runId}/start`, "--max-value-size", "1000000"], dir, {
      ...remote,
      STEPLAB_CACHE_DIR: tempDir(),
    });
    expect(repaired.code).toBe(0);
    expect(repaired.out).toMatch(/data \[size: \d+ type: Array\] = \[/);
  });
});
