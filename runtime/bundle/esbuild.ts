/**
 * esbuild, loaded on first use, and reloaded when its service process died. Jupyter interrupts a
 * kernel by sending SIGINT to its whole process group, which kills esbuild's helper process too;
 * esbuild never restarts it, so every later cell would fail without a fresh copy of the module.
 */
import { createRequire } from "node:module";
import type { BuildOptions, BuildResult, TransformOptions, TransformResult } from "esbuild";

type Esbuild = typeof import("esbuild");

const require = createRequire(import.meta.url);
let current: Esbuild | undefined;

function load(): Esbuild {
  const entry = require.resolve("esbuild");
  delete require.cache[entry];
  return require(entry) as Esbuild;
}

function serviceDied(err: unknown): boolean {
  return /service (is no longer running|was stopped)/i.test(err instanceof Error ? err.message : String(err));
}

async function withService<T>(call: (esbuild: Esbuild) => Promise<T>): Promise<T> {
  current ??= load();
  try {
    return await call(current);
  } catch (err) {
    if (!serviceDied(err)) throw err;
    current = load();
    return call(current);
  }
}

export function build(options: BuildOptions): Promise<BuildResult> {
  return withService((esbuild) => esbuild.build(options));
}

export function transform(source: string, options: TransformOptions): Promise<TransformResult> {
  return withService((esbuild) => esbuild.transform(source, options));
}
