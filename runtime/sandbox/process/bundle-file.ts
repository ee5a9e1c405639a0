/**
 * A `process` step's bundle as a file the child imports. It is written to the temp folder (the
 * flow's own folder may be read-only), away from where esbuild put it: the inline source map's
 * sources, relative to that place, are made absolute so that stacks name the user's own files.
 */
import { createHash } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FlowBundle } from "../../bundle/index.js";

const INLINE_MAP = /\n\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;

/** The bundle's code with its source map's sources as absolute paths. */
export function withAbsoluteSources(code: string, bundleFile: string): string {
  const found = INLINE_MAP.exec(code);
  if (!found) return code;
  const map = JSON.parse(Buffer.from(found[1]!, "base64").toString("utf8")) as { sources?: string[]; sourceRoot?: string };
  const base = path.resolve(path.dirname(bundleFile), map.sourceRoot ?? "");
  map.sources = map.sources?.map((s) => (/^[a-z]+:/i.test(s) ? s : path.resolve(base, s)));
  delete map.sourceRoot;
  const encoded = Buffer.from(JSON.stringify(map)).toString("base64");
  return `${code.slice(0, found.index)}\n//# sourceMappingURL=data:application/json;base64,${encoded}\n`;
}

export function writeBundleFile(bundle: FlowBundle): string {
  const code = withAbsoluteSources(bundle.code, bundle.filename);
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 16);
  const dir = path.join(os.tmpdir(), "steplab-bundles");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${path.basename(bundle.filename, ".mjs")}-${hash}.mjs`);
  // Named by content; written whole, so a concurrent run never imports half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, file);
  return file;
}
