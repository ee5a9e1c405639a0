/**
 * How artifact values are encoded and laid out, against both datastores (LMDB in a temp dir, and
 * S3 + PostgreSQL on the scale-out services): typed arrays as v8.serialize's bytes, arrays of flat
 * records as columns, anything else by structured clone, and blobs over the chunk size as
 * manifests of content-addressed chunks that two values share.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import { NotFoundError } from "../errors/index.js";
import {
  decodeArtifact,
  encode,
  joinParts,
  loadRemoteConfig,
  openLmdbStore,
  RemoteStore,
  sha256,
  type Store,
  type TaskRecord,
} from "../store/index.js";
import { remoteServices, uniqueRoot } from "./helpers/services.js";

const services = await remoteServices();
const CHUNK = 64 * 1024;
const dirs: string[] = [];
const stores: Store[] = [];

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `steplab-${name}-`));
  dirs.push(dir);
  return dir;
}

interface Kind {
  open(): Store;
  /** Bytes the datastore holds for its blobs (LMDB: the file; S3: the objects under the root). */
  storedBytes(store: Store): Promise<number>;
}

const lmdb: Kind = {
  open() {
    const store = openLmdbStore(tempDir("blobs"), { chunkBytes: CHUNK });
    stores.push(store);
    return store;
  },
  async storedBytes(store) {
    return statSync(join(store.root, "data.mdb")).size;
  },
};

const remote: Kind = {
  open() {
    const config = loadRemoteConfig(tmpdir(), services.env);
    const store = new RemoteStore(uniqueRoot(services.env, "blobs"), {
      config,
      cacheDir: tempDir("cache"),
      timeoutMs: 30_000,
      chunkBytes: CHUNK,
    });
    stores.push(store);
    return store;
  },
  async storedBytes(store) {
    const s3 = new S3Client({
      region: "us-east-1",
      endpoint: services.env.STEPLAB_S3_ENDPOINT,
      forcePathStyle: true,
      credentials: { accessKeyId: services.env.AWS_ACCESS_KEY_ID!, secretAccessKey: services.env.AWS_SECRET_ACCESS_KEY! },
    });
    try {
      const prefix = `${store.root.replace(/^s3:\/\/[^/]+\//, "")}/`;
      let total = 0;
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: services.env.STEPLAB_TEST_BUCKET, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) total += o.Size ?? 0;
        token = page.NextContinuationToken;
      } while (token);
      return total;
    } finally {
      s3.destroy();
    }
  },
};

const kinds: [string, Kind, string | undefined][] = [
  ["LMDB", lmdb, undefined],
  ["S3 + PostgreSQL", remote, services.skip],
];

let nextTask = 1;
/** Commits one task holding `values` (the way the runtime does) and returns their shas. */
async function commit(store: Store, values: Record<string, unknown>): Promise<Record<string, string>> {
  const artifacts: TaskRecord["artifacts"] = {};
  const blobs = new Map<string, Uint8Array[]>();
  for (const [name, value] of Object.entries(values)) {
    const { sha, size, type, parts } = encode(value);
    artifacts[name] = { sha, size, type };
    blobs.set(sha, parts);
  }
  const task: TaskRecord = {
    flow: "BlobFlow",
    runId: "1",
    step: "start",
    taskId: String(nextTask++),
    status: "succeeded",
    attempt: 0,
    artifacts,
    stack: [],
    inputs: [],
    startedAt: Date.now(),
  };
  await store.commitTask({ task, blobs });
  return Object.fromEntries(Object.entries(artifacts).map(([n, r]) => [n, r.sha]));
}

/** A deterministic pseudo-random fill (xorshift), so two calls give the same bytes. */
function noise(bytes: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(bytes);
  const words = new Uint32Array(out.buffer, 0, Math.floor(bytes / 4));
  let x = seed;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return out;
}

/** Rows with every kind of column and the values that are easy to get wrong. */
function records(n: number): Record<string, unknown>[] {
  const names = ["Zoë", "中文", "emoji 🎉", "", "tab\tand\nnewline", "plain"];
  const scores = [0.5, -0, Number.NaN, Number.POSITIVE_INFINITY, -1e308, 2 ** 53 + 2];
  return Array.from({ length: n }, (_, i) => ({
    id: i,
    name: `${names[i % names.length]}-${i}`,
    score: scores[i % scores.length],
    group: `g${i % 7}`,
    flag: i % 3 === 0,
    note: names[i % names.length],
  }));
}

describe.each(kinds)("%s datastore", (_name, kind, skip) => {
  it.skipIf(skip)("stores typed arrays of every kind in v8.serialize's bytes and reads them back", async () => {
    const store = kind.open();
    const buffer = noise(8 * 1024 + 16).buffer;
    const values: Record<string, ArrayBufferView> = {
      int8: new Int8Array(buffer, 3, 1000),
      uint8: new Uint8Array(buffer, 1, 5000),
      clamped: new Uint8ClampedArray(buffer, 0, 100),
      int16: new Int16Array(buffer, 2, 300),
      uint16: new Uint16Array(buffer, 0, 300),
      int32: new Int32Array(buffer, 4, 700),
      uint32: new Uint32Array(buffer, 0, 700),
      float32: new Float32Array([1.5, -0, Number.NaN, 3.4e38]),
      float64: new Float64Array(buffer, 8, 1000),
      bigint64: new BigInt64Array([-(2n ** 63n), 0n, 2n ** 62n]),
      biguint64: new BigUint64Array([2n ** 64n - 1n]),
      dataView: new DataView(buffer, 5, 4000),
    };
    const shas = await commit(store, values);
    for (const [name, value] of Object.entries(values)) {
      const bytes = serialize(value);
      // The same bytes as before this encoding existed: old blobs and new ones have one hash.
      expect(shas[name], name).toBe(sha256(bytes));
      const back = decodeArtifact(store.getBlob(shas[name]!)) as ArrayBufferView;
      expect(back.constructor, name).toBe(value.constructor);
      expect(
        Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(value.buffer, value.byteOffset, value.byteLength)),
        name,
      ).toBe(true);
    }
  });

  it.skipIf(skip)("stores an array of flat records as columns and gives the same rows back", async () => {
    const store = kind.open();
    const rows = records(3000);
    expect(Buffer.from(joinParts(encode(rows).parts).subarray(0, 4)).toString()).toBe("SLR1");
    const { rows: sha } = await commit(store, { rows });
    const back = decodeArtifact(store.getBlob(sha!)) as Record<string, unknown>[];
    expect(back).toEqual(rows); // Object.is on each value: NaN, -0 and 2^53+2 as they were
    // Wide characters only at the very end, after thousands of ASCII names: the text's room grows there.
    const lateWide = Array.from({ length: 3000 }, (_, i) => ({ id: i, name: i === 2999 ? "中文🎉".repeat(500) : `n${i}` }));
    const { lateWide: wideSha } = await commit(store, { lateWide });
    expect(decodeArtifact(store.getBlob(wideSha!))).toEqual(lateWide);
    expect(Object.keys(back[4]!)).toEqual(["id", "name", "score", "group", "flag", "note"]);
    expect(Object.getPrototypeOf(back[0])).toBe(Object.prototype);
    expect(Array.isArray(back)).toBe(true);
  });

  it.skipIf(skip)("keeps what structured clone keeps for arrays that are not flat records", async () => {
    const store = kind.open();
    const base = records(400);
    const withColumns = Object.assign(records(400), { columns: ["id", "name"] }); // d3's csvParse
    const sparse = records(400);
    delete sparse[10];
    const cases: Record<string, unknown> = {
      withNull: base.map((r, i) => (i === 7 ? { ...r, score: null } : r)),
      nested: base.map((r, i) => (i === 300 ? { ...r, group: { nested: true } } : r)),
      mixedTypes: base.map((r, i) => (i === 9 ? { ...r, id: "nine" } : r)),
      extraKey: base.map((r, i) => (i === 5 ? { ...r, extra: 1 } : r)),
      otherOrder: base.map((r, i) =>
        i === 6 ? { name: r.name, id: r.id, score: r.score, group: r.group, flag: r.flag, note: r.note } : r,
      ),
      // UTF-8 cannot hold it: a column of many distinct strings with one is not stored as text.
      loneSurrogate: records(3000).map((r, i) => (i === 8 ? { ...r, name: "broken \uD800 pair" } : r)),
      protoKey: base.map(() => JSON.parse('{"__proto__": 1, "b": 2}') as object),
      withColumns,
      sparse,
      fewRows: records(10),
    };
    const shas = await commit(store, cases);
    for (const [name, value] of Object.entries(cases)) {
      const stored = store.getBlob(shas[name]!);
      expect(stored[0], name).toBe(0xff); // structured clone's format
      expect(decodeArtifact(stored), name).toEqual(deserialize(serialize(value)));
    }
    // A category column keeps its few distinct strings in the header's JSON, which escapes it.
    const fewDistinct = base.map((r, i) => ({ ...r, note: i % 2 ? "odd \uDC00" : "even" }));
    const { fewDistinct: sha } = await commit(store, { fewDistinct });
    expect(decodeArtifact(store.getBlob(sha!))).toEqual(fewDistinct);
    expect((decodeArtifact(store.getBlob(shas.withColumns!)) as { columns: string[] }).columns).toEqual(["id", "name"]);
    const protoRows = decodeArtifact(store.getBlob(shas.protoKey!)) as object[];
    expect(Object.hasOwn(protoRows[0]!, "__proto__")).toBe(true);
  });

  it.skipIf(skip)("stores a value over the chunk size as chunks and reads it back whole, in place", async () => {
    const store = kind.open();
    const floats = new Float64Array(noise(20 * CHUNK + 40).buffer, 0, (20 * CHUNK) / 8 + 5);
    const rows = records(20_000); // some hundreds of KB of columns
    const shas = await commit(store, { floats, rows, small: "small" });
    const chunks = store.blobChildren(shas.floats!);
    // The few header bytes, then the array's memory cut every CHUNK bytes.
    expect(chunks.length).toBe(1 + Math.ceil(floats.byteLength / CHUNK));
    for (const key of chunks) expect(store.hasBlob(key)).toBe(true);
    expect(store.blobChildren(shas.small!)).toEqual([]);
    expect(store.blobChildren(shas.rows!).length).toBeGreaterThan(1);
    expect(() => store.blobChildren("0".repeat(64))).toThrow(NotFoundError);

    const bytes = store.getBlob(shas.floats!);
    expect(sha256(bytes)).toBe(shas.floats);
    const back = decodeArtifact(bytes) as Float64Array;
    expect(back.byteOffset % 8).toBe(0); // a view on the bytes read, not a copy
    expect(back.buffer).toBe(bytes.buffer);
    expect(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(floats.buffer, 0, floats.byteLength))).toBe(true);
    expect(decodeArtifact(store.getBlob(shas.rows!))).toEqual(rows);
  });

  it.skipIf(skip)("never tells bytes that differ from a blob as that blob (sameBlob, where a store offers it)", async () => {
    const store = kind.open();
    const floats = new Float64Array(noise(5 * CHUNK + 24).buffer, 0, (5 * CHUNK) / 8 + 3);
    const shas = await commit(store, { floats, small: "small" });
    const { parts } = encode(floats);
    // The same bytes cut elsewhere are the same bytes.
    const joined = Buffer.concat(parts);
    const recut = [joined.subarray(0, 7), joined.subarray(7, 3 * CHUNK + 1), joined.subarray(3 * CHUNK + 1)];
    const changed = (at: number) => {
      const copy = Uint8Array.from(joined);
      copy[at] = copy[at]! ^ 1;
      return [copy];
    };
    if (store.sameBlob) {
      expect(store.sameBlob(shas.floats!, parts)).toBe(kind === lmdb);
      expect(store.sameBlob(shas.floats!, recut)).toBe(kind === lmdb);
    }
    for (const other of [
      changed(0),
      changed(2 * CHUNK + 5),
      changed(joined.length - 1),
      [joined.subarray(1)],
      [joined, new Uint8Array(1)],
    ]) {
      expect(store.sameBlob?.(shas.floats!, other) ?? false).toBe(false);
    }
    expect(store.sameBlob?.(shas.small!, parts) ?? false).toBe(false);
    expect(store.sameBlob?.("0".repeat(64), parts) ?? false).toBe(false);
  });

  it.skipIf(skip)("stores a chunk once, whichever values contain it", async () => {
    const store = kind.open();
    await commit(store, { warmUp: "the databases and the bucket prefix exist" });
    const first = noise(32 * CHUNK);
    const second = first.slice();
    const last = second.length - 1;
    second[last] = (second[last] ?? 0) ^ 0xff; // differs in its last chunk only
    const before = await kind.storedBytes(store);
    const a = await commit(store, { first });
    const afterFirst = await kind.storedBytes(store);
    const b = await commit(store, { second });
    const afterSecond = await kind.storedBytes(store);
    await commit(store, { again: first }); // the same value in another task
    const afterAgain = await kind.storedBytes(store);

    const chunksA = store.blobChildren(a.first!);
    const chunksB = store.blobChildren(b.second!);
    expect(chunksB.slice(0, -1)).toEqual(chunksA.slice(0, -1));
    expect(chunksB.at(-1)).not.toBe(chunksA.at(-1));
    expect(afterFirst - before).toBeGreaterThanOrEqual(32 * CHUNK);
    expect(afterSecond - afterFirst).toBeLessThan(4 * CHUNK);
    expect(afterAgain - afterSecond).toBeLessThan(CHUNK);
    const back = decodeArtifact(store.getBlob(b.second!)) as Uint8Array;
    expect(Buffer.from(back).equals(Buffer.from(second))).toBe(true);
  });
});
