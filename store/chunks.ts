/**
 * How a blob sits in a datastore (LMDB's `blobs` database, or S3 objects), the same for both (see
 * store/FORMAT.md). A blob up to the chunk size is stored whole (store/blob-pack). A larger one is
 * a manifest, stored under the blob's sha, naming chunks of its bytes (at most the chunk size), each
 * stored under its own key: a large value is written a chunk at a time from the memory it already occupies, read
 * straight into the one buffer the reader keeps, and two values that share chunks store them once.
 */
import { createHash } from "node:crypto";
import { inflateSync } from "node:zlib";
import { NotFoundError, StoreError } from "../errors/index.js";
import { packBlob, storedAsIs, unpackBlob, unpackChunk, unpackChunkInto } from "./blob-pack.js";
import type { BlobBytes } from "./types.js";
import { alignmentPad } from "./view-frame.js";

export const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;
const MANIFEST_TAG = 0x4d; // "M", which no other stored form starts with

interface Manifest {
  v: 1;
  /** The blob's size: its chunks' sizes added up. */
  size: number;
  /** [key, size] of each chunk, in order. */
  chunks: [string, number][];
}

/** The chunk size for new blobs: `option`, else STEPLAB_CHUNK_MB, else 16 MiB. */
export function chunkBytes(option?: number, env: NodeJS.ProcessEnv = process.env): number {
  if (option !== undefined) return option;
  const raw = env.STEPLAB_CHUNK_MB;
  if (raw === undefined || raw === "") return DEFAULT_CHUNK_BYTES;
  const mb = Number(raw);
  if (!Number.isFinite(mb) || mb <= 0) {
    throw new StoreError(`STEPLAB_CHUNK_MB must be a positive number of megabytes (default 16), not "${raw}"`);
  }
  return Math.max(1024, Math.round(mb * 1024 * 1024));
}

/**
 * A chunk's key: the sha256 of its bytes after a fixed prefix, so that a chunk never has the key of
 * a whole blob with the same bytes (a small artifact equal to the tail of a large one): the two are
 * stored in different forms.
 */
export function chunkKey(bytes: Uint8Array): string {
  return createHash("sha256").update("steplab-chunk\0").update(bytes).digest("hex");
}

/**
 * Whether `stored` is an intact chunk stored under `key`. A chunk has no header (its manifest gives
 * its size): it is either the bytes themselves or their deflated form, so both are tried.
 */
export function isIntactChunk(key: string, stored: Uint8Array): boolean {
  if (chunkKey(stored) === key) return true;
  try {
    return chunkKey(inflateSync(stored)) === key;
  } catch {
    return false;
  }
}

/** What writing one new blob takes. */
export interface BlobLayout {
  /** Chunks to store (packed: store/blob-pack packChunk) under their keys; none for a blob kept whole. */
  chunks: [key: string, bytes: Uint8Array][];
  /** The bytes to store (packed: packBlob) under the blob's sha when it is kept whole. */
  whole?: Uint8Array;
  /** Stored as it is under the blob's sha when the blob is chunked. */
  manifest?: Uint8Array;
}

/** Parts smaller than this are gathered into one chunk with their neighbours (a copy of a few bytes). */
const SMALL_PART = 64 * 1024;

/**
 * The chunks of the bytes `parts` make together, in order: each large part cut every `chunk` bytes
 * (views, no copy: a typed array's memory is written from where it is), small parts next to each
 * other gathered into one chunk. Cuts follow the parts, so the same value always gets the same
 * chunks, and a column or an array that two values share is stored once.
 */
function* chunksOf(parts: readonly Uint8Array[], chunk: number): Generator<Uint8Array> {
  let small: Uint8Array[] = [];
  let smallBytes = 0;
  function* gathered(): Generator<Uint8Array> {
    if (smallBytes > 0) yield joined(small, smallBytes);
    small = [];
    smallBytes = 0;
  }
  for (const part of parts) {
    if (part.byteLength < SMALL_PART) {
      small.push(part);
      smallBytes += part.byteLength;
      if (smallBytes >= SMALL_PART) yield* gathered();
      continue;
    }
    yield* gathered();
    for (let at = 0; at < part.byteLength; at += chunk) yield part.subarray(at, Math.min(at + chunk, part.byteLength));
  }
  yield* gathered();
}

export function layoutBlob(parts: readonly Uint8Array[], size: number, chunkSize: number): BlobLayout {
  if (size <= chunkSize) return { chunks: [], whole: joined(parts, size) };
  const chunks: [string, Uint8Array][] = [];
  for (const bytes of chunksOf(parts, chunkSize)) chunks.push([chunkKey(bytes), bytes]);
  const manifest: Manifest = { v: 1, size, chunks: chunks.map(([key, bytes]) => [key, bytes.byteLength]) };
  const json = Buffer.from(JSON.stringify(manifest), "utf8");
  const stored = new Uint8Array(json.length + 1);
  stored[0] = MANIFEST_TAG;
  stored.set(json, 1);
  return { chunks, manifest: stored };
}

export function partsOf(bytes: BlobBytes): readonly Uint8Array[] {
  return bytes instanceof Uint8Array ? [bytes] : bytes;
}

export function sizeOf(bytes: BlobBytes): number {
  return partsOf(bytes).reduce((n, p) => n + p.byteLength, 0);
}

/** What storing one new blob takes. */
export interface BlobPlan {
  sha: string;
  size: number;
  /** Chunks to store, each packed with packChunk (those already stored are left out). */
  chunks: [key: string, bytes: Uint8Array][];
  /** Stored under `sha`, after the chunks: a manifest as it is, or the whole blob packed with packBlob. */
  manifest?: Uint8Array;
  whole?: Uint8Array;
}

/** How to store a new blob; `has(key)` says a chunk is already stored (by another blob). */
export function planBlob(sha: string, bytes: BlobBytes, chunkSize: number, has: (key: string) => boolean): BlobPlan {
  const size = sizeOf(bytes);
  const layout = layoutBlob(partsOf(bytes), size, chunkSize);
  const seen = new Set<string>();
  const chunks = layout.chunks.filter(([key]) => !has(key) && !seen.has(key) && seen.add(key));
  return { sha, size, chunks, manifest: layout.manifest, whole: layout.whole };
}

/** What goes under a planned blob's own sha. */
export async function headOf(plan: BlobPlan): Promise<Uint8Array> {
  return plan.manifest ?? packBlob(plan.whole!);
}

/** The plans' chunks in batches of about `bytes`, to write a transaction (or a round of uploads) at a time. */
export function* chunkBatches(plans: readonly BlobPlan[], bytes: number): Generator<[string, Uint8Array][]> {
  let batch: [string, Uint8Array][] = [];
  let held = 0;
  for (const plan of plans) {
    for (const chunk of plan.chunks) {
      batch.push(chunk);
      held += chunk[1].byteLength;
      if (held >= bytes) {
        yield batch;
        batch = [];
        held = 0;
      }
    }
  }
  if (batch.length > 0) yield batch;
}

function joined(parts: readonly Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Whether a stored form (or its first byte) is a manifest. */
export function isManifest(stored: Uint8Array): boolean {
  return stored[0] === MANIFEST_TAG;
}

function readManifest(stored: Uint8Array): Manifest | undefined {
  if (!isManifest(stored)) return undefined;
  return JSON.parse(Buffer.from(stored.buffer, stored.byteOffset + 1, stored.byteLength - 1).toString("utf8")) as Manifest;
}

/**
 * The keys of the blobs a stored blob names: a manifest's chunks, none for a blob stored whole.
 * Whatever keeps a blob (a task's artifact) keeps these too.
 */
export function childBlobs(stored: Uint8Array): string[] {
  return readManifest(stored)?.chunks.map(([key]) => key) ?? [];
}

/**
 * The encoded bytes of a blob from its stored form, in memory of their own (callers may hand it
 * over or keep views on it): a typed array they frame starts 8-aligned, so it is read in place.
 * `chunk(key)` gives a chunk's stored form, which need only stay valid until the next call.
 */
export function readStored(sha: string, stored: Uint8Array, chunk: (key: string) => Uint8Array | undefined, where: string): Uint8Array {
  const manifest = readManifest(stored);
  if (!manifest) {
    const bytes = unpackBlob(stored);
    return bytes.buffer === stored.buffer ? aligned(bytes) : bytes;
  }
  let out: Uint8Array | undefined;
  let at = 0;
  for (const [key, size] of manifest.chunks) {
    const data = chunk(key);
    if (!data) throw new NotFoundError(`chunk ${key} of artifact data ${sha} is not in the datastore at ${where}`);
    if (out) {
      unpackChunkInto(data, size, out, at);
    } else {
      const first = unpackChunk(data, size);
      out = aligned(first, manifest.size);
    }
    at += size;
  }
  return out ?? new Uint8Array(0);
}

/**
 * Whether `parts` are exactly the encoded bytes a blob's stored form holds, compared where they
 * lie (`chunk(key)` as for readStored): false when the sizes differ or the blob (or a chunk of it)
 * is stored compressed, which would take unpacking to tell.
 */
export function storedEquals(stored: Uint8Array, chunk: (key: string) => Uint8Array | undefined, parts: readonly Uint8Array[]): boolean {
  const size = sizeOf(parts);
  const manifest = readManifest(stored);
  const rest = partsCursor(parts);
  if (!manifest) {
    const bytes = storedAsIs(stored);
    return bytes !== undefined && bytes.byteLength === size && rest(bytes);
  }
  if (manifest.size !== size) return false;
  for (const [key, bytes] of manifest.chunks) {
    const data = chunk(key);
    if (data?.byteLength !== bytes || !rest(data)) return false;
  }
  return true;
}

/** A function that tells whether the next bytes of `parts` are `expected` (and moves past them). */
function partsCursor(parts: readonly Uint8Array[]): (expected: Uint8Array) => boolean {
  let part = 0;
  let at = 0;
  return (expected) => {
    let done = 0;
    while (done < expected.byteLength) {
      const current = parts[part];
      if (!current) return false;
      const n = Math.min(current.byteLength - at, expected.byteLength - done);
      if (Buffer.compare(current.subarray(at, at + n), expected.subarray(done, done + n)) !== 0) return false;
      done += n;
      at += n;
      if (at === current.byteLength) {
        part++;
        at = 0;
      }
    }
    return true;
  };
}

/**
 * A copy of `bytes` (the start of a blob of `size` bytes) in memory of its own, placed so that a
 * typed array the blob frames starts 8-aligned: one copy, which any read from a store makes anyway.
 */
function aligned(bytes: Uint8Array, size = bytes.byteLength): Uint8Array {
  const pad = alignmentPad(bytes.subarray(0, 16));
  const out = new Uint8Array(new ArrayBuffer(pad + size), pad, size);
  out.set(bytes);
  return out;
}
