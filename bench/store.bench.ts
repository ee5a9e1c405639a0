/**
 * Store benchmarks, called by the bench runner:
 *  - write+read throughput of one 100 MB random Float64Array artifact
 *    (encode + sha256 + commitTask + getBlob + decode), for information (bench/data.mjs holds the target);
 *  - store growth when two tasks commit the same 64 MiB typed array, target <= 80 MiB.
 * Two informational lines give the floors under the first figure on this machine: filling freshly
 * allocated memory (every new 100 MB buffer pays it), and LMDB alone writing 100 MB and reading
 * them back, with no encoding, hashing or compression at all.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lmdb } from "../store/lmdb-module.js";
import { decodeArtifact, encodeArtifact, openStore, sha256, typeName, type Store } from "../store/index.js";

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  target: string;
  ok: boolean;
}

const MB = 1e6;
const MiB = 1024 * 1024;

function randomFloat64(bytes: number): Float64Array {
  const a = new Float64Array(bytes / 8);
  for (let i = 0; i < a.length; i++) a[i] = Math.random();
  return a;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function commitArtifact(store: Store, runId: string, taskId: string, value: unknown): Promise<string> {
  const bytes = encodeArtifact(value);
  const sha = sha256(bytes);
  await store.commitTask({
    task: {
      flow: "BenchFlow",
      runId,
      step: "start",
      taskId,
      status: "succeeded",
      attempt: 0,
      artifacts: { data: { sha, size: bytes.length, type: typeName(value) } },
      stack: [],
      inputs: [],
      startedAt: Date.now(),
    },
    blobs: new Map([[sha, bytes]]),
  });
  return sha;
}

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

async function throughput(root: string): Promise<number> {
  const store = openStore(root);
  try {
    const runId = store.newRunId();
    const rates: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const value = randomFloat64(100 * MB); // a new array each time, so dedup cannot skip the write
      const start = performance.now();
      const sha = await commitArtifact(store, runId, String(i), value);
      const back = decodeArtifact(store.getBlob(sha)) as Float64Array;
      const seconds = (performance.now() - start) / 1000;
      if (!sameBytes(back, value)) throw new Error("store bench: the artifact read back differs from the one written");
      rates.push(value.byteLength / MB / seconds);
    }
    return median(rates);
  } finally {
    await store.close();
  }
}

async function growth(root: string): Promise<number> {
  const store = openStore(root);
  try {
    const runId = store.newRunId();
    await commitArtifact(store, runId, "0", 0); // the databases exist before the first size reading
    const before = statSync(join(root, "data.mdb")).size;
    const value = randomFloat64(64 * MiB);
    await commitArtifact(store, runId, "1", value);
    await commitArtifact(store, runId, "2", value);
    return (statSync(join(root, "data.mdb")).size - before) / MiB;
  } finally {
    await store.close();
  }
}

/** MB/s for filling newly allocated memory: what one unavoidable fresh 100 MB copy costs here. */
function freshMemoryCopy(): number {
  const source = new Uint8Array(100 * MB).fill(7);
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    Buffer.allocUnsafe(source.length).set(source);
    rates.push(source.length / MB / ((performance.now() - start) / 1000));
  }
  return median(rates);
}

/** MB/s for LMDB alone: one 100 MB value put in a transaction and read back as a copy the caller owns. */
function rawLmdb(root: string): number {
  const env = lmdb.open({ path: root, noSync: true, encoding: "binary" });
  try {
    const rates: number[] = [];
    for (let i = 0; i < 3; i++) {
      const data = new Uint8Array(100 * MB).fill(i + 1);
      const start = performance.now();
      env.putSync(`value-${i}`, data);
      const back = env.getBinary(`value-${i}`);
      const seconds = (performance.now() - start) / 1000;
      if (back?.length !== data.length) throw new Error("store bench: LMDB returned a different value");
      rates.push(data.length / MB / seconds);
    }
    return median(rates);
  } finally {
    void env.close();
  }
}

export async function benchStore(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "steplab-store-bench-"));
  try {
    const rate = await throughput(join(dir, "throughput"));
    const grown = await growth(join(dir, "growth"));
    const floor = freshMemoryCopy();
    const lmdbAlone = rawLmdb(join(dir, "raw"));
    return [
      {
        name: "store: 100 MB Float64Array artifact write+read (encode, hash, commit, get, decode)",
        value: Math.round(rate),
        unit: "MB/s",
        // The old absolute 300 MB/s target was measured against untouched memory; issue 15's
        // target (bench/data.mjs: 100 MB through a flow within 2.5x the floor) replaces it.
        target: "info",
        ok: true,
      },
      {
        name: "store: growth after two tasks commit the same 64 MiB typed array",
        value: Math.round(grown * 10) / 10,
        unit: "MiB",
        target: "<= 80",
        ok: grown <= 80,
      },
      {
        name: "machine: copy into freshly allocated memory (info: floor for a new 100 MB buffer)",
        value: Math.round(floor),
        unit: "MB/s",
        target: "info",
        ok: true,
      },
      {
        name: "LMDB alone: 100 MB value put and read back (info: floor under the store figure)",
        value: Math.round(lmdbAlone),
        unit: "MB/s",
        target: "info",
        ok: true,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
