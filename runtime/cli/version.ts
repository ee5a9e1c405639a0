import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

function readVersion(): string {
  for (const candidate of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = require(candidate) as { name?: string; version?: string };
      if (pkg.name === "steplab" && pkg.version) return pkg.version;
    } catch {
      // not at this depth (source vs dist)
    }
  }
  return "0.0.0";
}

export const VERSION = readVersion();
