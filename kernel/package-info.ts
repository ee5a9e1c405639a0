/** Facts about the installed steplab package the kernel reports or writes into its kernelspec. */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The directory holding steplab's package.json, found upwards from this module (source or dist/). */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "steplab") return dir;
      } catch {
        // an unreadable package.json is not ours; keep looking upwards
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find steplab's package.json above ${from}`);
    dir = parent;
  }
}

function versionOf(pkgJson: string): string {
  try {
    return (JSON.parse(readFileSync(pkgJson, "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

export function steplabVersion(): string {
  return versionOf(join(packageRoot(), "package.json"));
}

/** TypeScript's version, read from its package.json: importing the compiler would cost startup time. */
export function typescriptVersion(): string {
  try {
    return versionOf(createRequire(join(packageRoot(), "package.json")).resolve("typescript/package.json"));
  } catch {
    return "unknown";
  }
}

/** The CLI entry a kernelspec launches. */
export function binPath(): string {
  return join(packageRoot(), "bin", "steplab.js");
}
