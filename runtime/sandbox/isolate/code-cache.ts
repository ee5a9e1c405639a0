/**
 * V8 code caches for the scripts isolates compile: in memory for this process (each new isolate
 * skips compiling the prelude and the flow again), and on disk for large scripts (the prelude, a
 * flow bundling libraries), so the next command skips it too: compiling the prelude costs a
 * `run` ~15 ms, reading its cache ~1 ms. V8 rejects a cache made by another build; it is replaced.
 * A cache is kept per file name too: V8's cached code keeps the name of the script it was made
 * from, which stacks then show (two copies of one flow bundle to the same code).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import ivm from "isolated-vm";
import { cacheDir } from "../../support/index.js";

const inMemory = new Map<string, ivm.ExternalCopy<ArrayBuffer>>();
/** Smaller scripts compile in about the time a file read takes. */
const MIN_DISK_CHARS = 64 * 1024;
/** Caches kept on disk; the least recently written go first (flows change while they are written). */
const MAX_DISK_FILES = 32;

function diskFile(code: string, filename: string): string {
  const key = createHash("sha256").update(`${process.version}\0${process.arch}\0${filename}\0`).update(code).digest("hex");
  return path.join(cacheDir("v8-code"), `${key}.bin`);
}

function readDisk(file: string): ivm.ExternalCopy<ArrayBuffer> | undefined {
  try {
    const bytes = readFileSync(file);
    return new ivm.ExternalCopy(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  } catch {
    return undefined; // none yet
  }
}

function prune(dir: string): void {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".bin"))
    .map((f) => ({ file: path.join(dir, f), at: statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { file } of files.slice(MAX_DISK_FILES)) rmSync(file, { force: true });
}

/** Written after the current task has started: the cache is for the next process. */
function writeDiskSoon(file: string, data: ivm.ExternalCopy<ArrayBuffer>): void {
  setImmediate(() => {
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, new Uint8Array(data.copy()));
      renameSync(tmp, file);
      prune(path.dirname(file));
    } catch {
      // a read-only install compiles in every process
    }
  });
}

export async function compileCached(isolate: ivm.Isolate, code: string, filename: string): Promise<ivm.Script> {
  const key = `${filename}\0${code}`;
  let cachedData = inMemory.get(key);
  const file = !cachedData && code.length >= MIN_DISK_CHARS ? diskFile(code, filename) : undefined;
  if (file) cachedData = readDisk(file);
  const script = (await isolate.compileScript(code, { filename, cachedData, produceCachedData: !cachedData })) as ivm.Script &
    ivm.CachedDataResult & { cachedDataRejected?: boolean };
  if (!cachedData && script.cachedData) {
    inMemory.set(key, script.cachedData);
    if (file) writeDiskSoon(file, script.cachedData);
  } else if (cachedData && script.cachedDataRejected) {
    inMemory.delete(key);
    if (file) rmSync(file, { force: true });
  } else if (cachedData) {
    inMemory.set(key, cachedData);
  }
  return script;
}
