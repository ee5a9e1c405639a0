/**
 * The I/O thread's entry as a JavaScript file: dist's own build when steplab runs from dist/, else
 * the TypeScript source bundled once with esbuild next to the package's node_modules (so pg and
 * the AWS SDK resolve). Synchronous, because opening a store is.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

let resolved: string | undefined;

function packageRoot(from: string): string {
  let dir = from;
  while (!existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("steplab: cannot find its package root");
    dir = up;
  }
  return dir;
}

export function bridgeWorkerScript(): string {
  if (resolved) return resolved;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const sibling = path.join(here, "bridge-worker.js");
  // From dist/ the sibling is the built file. Bundled copies of this module (a process step's
  // child script) live elsewhere, so look from the package root too.
  if (existsSync(sibling)) return (resolved = sibling);
  const root = packageRoot(here);
  const candidates = [
    path.join(here, "bridge-worker.ts"),
    path.join(root, "store", "remote", "bridge-worker.ts"),
    path.join(root, "dist", "store", "remote", "bridge-worker.js"),
  ];
  const entry = candidates.find((c) => existsSync(c));
  if (!entry) throw new Error(`steplab: cannot find the datastore I/O thread script (looked for ${candidates.join(", ")})`);
  if (entry.endsWith(".js")) return (resolved = entry);
  // Only when running from source: a run from dist/ never loads esbuild here.
  const esbuild = createRequire(import.meta.url)("esbuild") as typeof import("esbuild");
  const out = esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "silent",
  });
  const code = out.outputFiles[0]!.text;
  const outDir = path.join(root, "node_modules", ".cache", "steplab");
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `remote-bridge-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`);
  if (!existsSync(file)) writeFileSync(file, code);
  return (resolved = file);
}
