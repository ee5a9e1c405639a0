/**
 * The child's entry as one JavaScript file, built once with esbuild next to the package's own
 * node_modules (so native packages such as lmdb resolve), whether steplab runs from source or dist.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../../bundle/esbuild.js";
import { cacheDir } from "../../package.js";

let built: Promise<string> | undefined;

export function childScript(): Promise<string> {
  built ??= (async () => {
    const here = fileURLToPath(new URL("./child.js", import.meta.url));
    const entry = existsSync(here) ? here : here.replace(/\.js$/, ".ts");
    const outDir = cacheDir("process-child");
    mkdirSync(outDir, { recursive: true });
    const outfile = path.join(outDir, `process-child-${process.pid}.mjs`);
    const out = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: "node",
      format: "esm",
      target: "es2022",
      packages: "external",
      sourcemap: "inline",
      logLevel: "silent",
    });
    writeFileSync(outfile, out.outputFiles![0]!.text);
    return outfile;
  })();
  return built;
}
