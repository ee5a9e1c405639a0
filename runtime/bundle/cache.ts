/**
 * Flow bundles kept on disk by the files that went into them (esbuild's metafile inputs, with
 * their mtime and size), like make: a flow run again unchanged starts without loading esbuild.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cacheDir } from "../support/index.js";

type Stamp = [file: string, mtimeMs: number, size: number];

interface Entry<T> {
  inputs: Stamp[];
  value: T;
}

function fileFor(key: string): string {
  return path.join(cacheDir("bundles"), `${createHash("sha256").update(key).digest("hex")}.json`);
}

function stamp(file: string): Stamp | undefined {
  try {
    const s = statSync(file);
    return [file, s.mtimeMs, s.size];
  } catch {
    return undefined;
  }
}

/** The cached value for `key` if none of its input files changed since it was stored. */
export function readBundleCache<T>(key: string): T | undefined {
  try {
    const entry = JSON.parse(readFileSync(fileFor(key), "utf8")) as Entry<T>;
    for (const [file, mtimeMs, size] of entry.inputs) {
      const now = stamp(file);
      if (!now || now[1] !== mtimeMs || now[2] !== size) return undefined;
    }
    return entry.value;
  } catch {
    return undefined;
  }
}

/** Stores `value` with the stamps of the files (absolute paths) it was built from. */
export function writeBundleCache<T>(key: string, inputs: string[], value: T): void {
  const stamps = inputs.map(stamp).filter((s): s is Stamp => s !== undefined);
  if (stamps.length !== inputs.length) return;
  try {
    const file = fileFor(key);
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ inputs: stamps, value } satisfies Entry<T>));
    renameSync(tmp, file); // atomic for concurrent runs
  } catch {
    // a read-only install bundles every time
  }
}
