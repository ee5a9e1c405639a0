/**
 * The prelude bundled by esbuild once, then kept on disk next to the package (keyed by the
 * prelude's own build), so a command's start does not pay for bundling core-js every time.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BuildOptions } from "esbuild";
import { build as esbuild } from "../../bundle/index.js";
import { cacheDir } from "../../support/index.js";

let cached: Promise<string> | undefined;

function entryFile(): string {
  const js = fileURLToPath(new URL("./prelude.js", import.meta.url));
  return existsSync(js) ? js : js.replace(/\.js$/, ".ts");
}

function cacheFile(entry: string): string {
  // The prelude and the modules beside it that it imports, and this module, which decides how it is built.
  const dir = path.dirname(entry);
  const files = readdirSync(dir)
    .filter((f) => /\.[jt]s$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
  const stats = files.map((f) => statSync(f));
  const newest = Math.round(Math.max(...stats.map((s) => s.mtimeMs)));
  const stamp = `${newest}-${stats.reduce((n, s) => n + s.size, 0)}`;
  return path.join(cacheDir("prelude"), `prelude-${path.extname(entry).slice(1)}-${stamp}.js`);
}

const BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  write: false,
  platform: "neutral",
  format: "iife",
  target: "es2022",
  mainFields: ["module", "main"],
  logLevel: "silent",
};

/**
 * URL and URLSearchParams from core-js, as source the prelude evaluates on first use: even
 * unevaluated, bundled into the prelude they would cost every fresh context ~0.3 ms.
 */
async function urlPolyfill(resolveDir: string): Promise<string> {
  const out = await esbuild({
    ...BUILD_OPTIONS,
    stdin: { contents: `import "core-js/actual/url";\nimport "core-js/actual/url-search-params";`, resolveDir, loader: "js" },
  });
  return out.outputFiles![0]!.text;
}

async function build(entry: string): Promise<string> {
  const polyfill = await urlPolyfill(path.dirname(entry));
  const out = await esbuild({
    ...BUILD_OPTIONS,
    entryPoints: [entry],
    define: { __STEPLAB_URL_POLYFILL__: JSON.stringify(polyfill) },
  });
  return out.outputFiles![0]!.text;
}

/** Earlier builds of the same prelude (from before an upgrade or a rebuild) are never read again. */
function removeOlderBuilds(current: string): void {
  const dir = path.dirname(current);
  const kind = path.basename(current).split("-").slice(0, 2).join("-");
  for (const name of readdirSync(dir)) {
    if (name.startsWith(`${kind}-`) && name.endsWith(".js") && path.join(dir, name) !== current)
      rmSync(path.join(dir, name), { force: true });
  }
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
      removeOlderBuilds(file);
    } catch {
      // a read-only install bundles it in every process
    }
    return code;
  })();
  return cached;
}
