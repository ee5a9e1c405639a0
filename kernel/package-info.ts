/** Facts about the installed steplab package the kernel reports or writes into its kernelspec. */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { packageRoot } from "../runtime/support/index.js";

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

export { packageRoot };
