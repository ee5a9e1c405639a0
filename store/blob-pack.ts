/**
 * How a blob's bytes sit in the `blobs` database. Encoded artifacts start with 0xFF (V8's version
 * tag) or "SLR1" (record columns) and are stored as they are when compressing would not pay;
 * zlib output starts with 0x78, so neither needs a header. Bytes that are neither (not produced by
 * the codec) get a 0x00 header byte. Chunks of a large blob (store/chunks) have no header at all:
 * their manifest gives each one's size, and a chunk is compressed exactly when it is smaller.
 */
import { promisify } from "node:util";
import { constants, deflate, deflateSync, inflateSync } from "node:zlib";

const V8_TAG = 0xff;
const ZLIB_TAG = 0x78;
const RAW_TAG = 0x00;
const RECORDS_MAGIC = [0x53, 0x4c, 0x52, 0x31]; // "SLR1", store/records-bytes

/** Below this, compression saves too little to be worth a header and the CPU. */
const MIN_COMPRESS = 256;
/** Up to this size the whole blob is tried; above it a sample decides. */
const WHOLE_TRY_LIMIT = 256 * 1024;
const SAMPLE_CHUNK = 32 * 1024;
/** Keep the compressed form only if it is at most this fraction of the original. */
const WORTHWHILE = 0.9;
/**
 * A large blob (or chunk) is compressed only when its sample shrinks to this fraction: deflating
 * hundreds of MB takes seconds each way, which a third off (a typed array of small integers) does
 * not repay; text and JSON-like data shrink far more.
 */
const SAMPLED_WORTHWHILE = 0.5;

const deflateAsync = promisify(deflate);
// Level 1: the gain over level 6 is small on artifact data and it is several times faster.
const ZLIB_OPTIONS = { level: 1, strategy: constants.Z_DEFAULT_STRATEGY };

function selfTagged(bytes: Uint8Array): boolean {
  return bytes[0] === V8_TAG || (bytes.length >= 8 && RECORDS_MAGIC.every((b, i) => bytes[i] === b));
}

function stored(bytes: Uint8Array): Uint8Array {
  if (bytes.length > 0 && selfTagged(bytes)) return bytes;
  const out = new Uint8Array(bytes.length + 1);
  out[0] = RAW_TAG;
  out.set(bytes, 1);
  return out;
}

/** Whether a sample from the start, middle and end of a large blob shrinks enough. */
function sampleCompresses(bytes: Uint8Array): boolean {
  const mid = Math.floor(bytes.length / 2 - SAMPLE_CHUNK / 2);
  const parts = [0, mid, bytes.length - SAMPLE_CHUNK].map((at) => bytes.subarray(at, at + SAMPLE_CHUNK));
  const sample = Buffer.concat(parts);
  return deflateSync(sample, ZLIB_OPTIONS).length <= sample.length * SAMPLED_WORTHWHILE;
}

function worthCompressing(bytes: Uint8Array): boolean {
  if (bytes.length < MIN_COMPRESS) return false;
  return bytes.length <= WHOLE_TRY_LIMIT || sampleCompresses(bytes);
}

function smaller(bytes: Uint8Array, packed: Uint8Array): Uint8Array {
  return packed[0] !== ZLIB_TAG || packed.length > bytes.length * WORTHWHILE ? stored(bytes) : packed;
}

/** The stored form of a blob's encoded bytes: compressed when that pays off, else raw. */
export async function packBlob(bytes: Uint8Array): Promise<Uint8Array> {
  if (!worthCompressing(bytes)) return stored(bytes);
  // Runs on the libuv pool, so several blobs of a commit compress in parallel.
  return smaller(bytes, await deflateAsync(bytes, ZLIB_OPTIONS));
}

/** packBlob on the calling thread, for blobs small enough that a thread hop costs more. */
export function packBlobSync(bytes: Uint8Array): Uint8Array {
  if (!worthCompressing(bytes)) return stored(bytes);
  return smaller(bytes, deflateSync(bytes, ZLIB_OPTIONS));
}

/** The encoded bytes back from their stored form. `data` must be owned by the caller (not reused). */
export function unpackBlob(data: Uint8Array): Uint8Array {
  switch (data[0]) {
    case V8_TAG:
    case RECORDS_MAGIC[0]:
      return plain(data);
    case ZLIB_TAG:
      return plain(inflateSync(data));
    case RAW_TAG:
      return plain(data.subarray(1));
    default:
      throw new Error(`unknown blob format (first byte ${String(data[0])})`);
  }
}

/** The encoded bytes a blob's stored form holds as they are (a view), or undefined when it is compressed. */
export function storedAsIs(data: Uint8Array): Uint8Array | undefined {
  switch (data[0]) {
    case V8_TAG:
    case RECORDS_MAGIC[0]:
      return data;
    case RAW_TAG:
      return data.subarray(1);
    default:
      return undefined;
  }
}

/** A chunk's stored form: compressed when that pays, else the bytes themselves. */
export async function packChunk(bytes: Uint8Array): Promise<Uint8Array> {
  if (!worthCompressing(bytes)) return bytes;
  const packed = await deflateAsync(bytes, ZLIB_OPTIONS);
  return packed.length <= bytes.length * WORTHWHILE ? packed : bytes;
}

/** A chunk's bytes from its stored form (a view on `data` when it was stored as it is). */
export function unpackChunk(data: Uint8Array, size: number): Uint8Array {
  return data.byteLength === size ? data : plain(inflateSync(data));
}

/** Writes a chunk's bytes into `out` at `at`, inflating straight from the stored form. */
export function unpackChunkInto(data: Uint8Array, size: number, out: Uint8Array, at: number): void {
  out.set(unpackChunk(data, size), at);
}

/** A Uint8Array view (not a Buffer) on the same memory: callers see the same type they stored. */
function plain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}
