/**
 * Where the steplab package itself lives (from source or from dist/), its version, and its cache
 * folder (node_modules/.cache/steplab, next to the package's own dependencies).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function readPackage(file: string): { name?: string; version?: string } | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
  } catch {
    return undefined; // unreadable: not ours
  }
}

let root: string | undefined;

/** The directory holding steplab's package.json, found upwards from this module. */
export function packageRoot(): string {
  if (root) return root;
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg) && readPackage(pkg)?.name === "steplab") return (root = dir);
    if (path.dirname(dir) === dir) throw new Error(`steplab: cannot find its package.json above ${start}`);
  }
}

export function packageVersion(): string {
  return readPackage(path.join(packageRoot(), "package.json"))?.version ?? "unknown";
}

/** A folder of steplab's cache: node_modules/.cache/steplab/<name> inside the package. */
export function cacheDir(name: string): string {
  return path.join(packageRoot(), "node_modules", ".cache", "steplab", name);
}
