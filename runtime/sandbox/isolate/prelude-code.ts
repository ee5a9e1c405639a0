/** The prelude bundled once per process (esbuild, ~ms), then compiled once per isolate. */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

let cached: Promise<string> | undefined;

export function preludeCode(): Promise<string> {
  cached ??= (async () => {
    const js = fileURLToPath(new URL("./prelude.js", import.meta.url));
    const entry = existsSync(js) ? js : js.replace(/\.js$/, ".ts");
    const out = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: "neutral",
      format: "iife",
      target: "es2022",
      mainFields: ["module", "main"],
      logLevel: "silent",
    });
    return out.outputFiles[0]!.text;
  })();
  return cached;
}
