/**
 * The child's entry as one JavaScript file, built once with esbuild next to the package's own
 * node_modules (so native packages such as lmdb resolve), whether steplab runs from source or dist.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../../bundle/index.js";
import { cacheDir } from "../../support/index.js";

let built: Promise<string> | undefined;

export function childScript(): Promise<string> {
  built ??= (async () => {
    const here = fileURLToPath(new URL("./child.js", import.meta.url));
    const entry = existsSync(here) ? here : here.replace(/\.js$/, ".ts");
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
    const code = out.outputFiles![0]!.text;
    // Named by content: every process of one build shares the file, and builds do not pile up.
    const outDir = cacheDir("process-child");
    const outfile = path.join(outDir, `process-child-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`);
    if (!existsSync(outfile)) {
      mkdirSync(outDir, { recursive: true });
      const tmp = `${outfile}.${process.pid}.tmp`;
      writeFileSync(tmp, code);
      renameSync(tmp, outfile);
    }
    return outfile;
  })();
  return built;
}
