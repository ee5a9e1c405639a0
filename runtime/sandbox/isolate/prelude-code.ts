/**
 * The prelude bundled by esbuild once, then kept on disk next to the package (keyed by the
 * prelude's own build), so a command's start does not pay for bundling core-js every time.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build as esbuild } from "../../bundle/esbuild.js";
import { cacheDir } from "../../package.js";

let cached: Promise<string> | undefined;

function entryFile(): string {
  const js = fileURLToPath(new URL("./prelude.js", import.meta.url));
  return existsSync(js) ? js : js.replace(/\.js$/, ".ts");
}

function cacheFile(entry: string): string {
  const stamp = `${Math.round(statSync(entry).mtimeMs)}-${statSync(entry).size}`;
  return path.join(cacheDir("prelude"), `prelude-${path.extname(entry).slice(1)}-${stamp}.js`);
}

async function build(entry: string): Promise<string> {
  const out = await esbuild({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: "neutral",
    format: "iife",
    target: "es2022",
    mainFields: ["module", "main"],
    logLevel: "silent",
  });
  return out.outputFiles![0]!.text;
}

export function preludeCode(): Promise<string> {
  cached ??= (async () => {
    const entry = entryFile();
    const file = cacheFile(entry);
    try {
      return readFileSync(file, "utf8");
    } catch {
      // not built yet
    }
    const code = await build(entry);
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, code);
      renameSync(tmp, file);
    } catch {
      // a read-only install bundles it in every process
    }
    return code;
  })();
  return cached;
}
