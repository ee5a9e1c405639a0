/**
 * Builds the package once before the test files run, so tests that start the real `steplab`
 * command exercise the sources as they are now. The build goes to a private copy
 * (node_modules/.cache/steplab/test-build-PID/{bin,dist,package.json}) with the same esbuild
 * options as scripts/build.mjs: other builds of the shared checkout (which wipe dist/) cannot pull
 * modules from under a running command. Tests find it with inject("steplabBin").
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FOLDERS = ["runtime", "store", "kernel", "repl", "notebooks"];

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === "examples" || name === "node_modules") return [];
    if (statSync(full).isDirectory()) return sources(full);
    return /\.tsx?$/.test(name) && !name.endsWith(".d.ts") ? [full] : [];
  });
}

declare module "vitest" {
  export interface ProvidedContext {
    steplabBin: string;
  }
}

export default async function setup({ provide }: { provide(key: "steplabBin", value: string): void }) {
  const out = path.join(root, "node_modules", ".cache", "steplab", `test-build-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(path.join(out, "bin"), { recursive: true });
  await esbuild.build({
    entryPoints: FOLDERS.flatMap((f) => sources(path.join(root, f))),
    outdir: path.join(out, "dist"),
    outbase: root,
    format: "esm",
    platform: "node",
    target: "node20",
    jsx: "automatic",
    sourcemap: "inline",
    logLevel: "error",
  });
  copyFileSync(path.join(root, "bin", "steplab.js"), path.join(out, "bin", "steplab.js"));
  copyFileSync(path.join(root, "package.json"), path.join(out, "package.json"));
  provide("steplabBin", path.join(out, "bin", "steplab.js"));
  return () => rmSync(out, { recursive: true, force: true });
}
