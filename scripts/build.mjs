// Transpiles the TypeScript sources to dist/ file by file (no bundling: relative `.js` imports
// keep working). Type checking is `npm run typecheck`, separate so a type error never blocks install.
import { readdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const folders = ["errors", "cli", "runtime", "store", "kernel", "repl", "notebooks"];

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === "examples" || name === "node_modules") return [];
    if (statSync(full).isDirectory()) return sources(full);
    return /\.tsx?$/.test(name) && !name.endsWith(".d.ts") ? [full] : [];
  });
}

/** Transpiles every source file into `outdir` (mirroring the source tree). */
export async function transpileTo(outdir) {
  await esbuild.build({
    entryPoints: folders.flatMap((f) => sources(path.join(root, f))),
    outdir,
    outbase: root,
    format: "esm",
    platform: "node",
    target: "node20",
    jsx: "automatic",
    sourcemap: "inline",
    logLevel: "error",
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // Build beside dist/ and swap it in, so a command running meanwhile never sees half a build.
  const dist = path.join(root, "dist");
  const fresh = `${dist}.${process.pid}.tmp`;
  const stale = `${dist}.${process.pid}.old`;
  await transpileTo(fresh);
  try {
    renameSync(dist, stale);
  } catch {
    // first build
  }
  renameSync(fresh, dist);
  rmSync(stale, { recursive: true, force: true });
}
