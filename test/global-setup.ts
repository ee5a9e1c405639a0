/**
 * Builds dist/ before any test file runs, so tests that start the real `steplab` command
 * (bin/steplab.js runs dist/) exercise the sources as they are now. The build wipes dist/, so it
 * runs only when some source is newer than its built file: test runs started side by side do not
 * pull dist/ from under each other's commands.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FOLDERS = ["runtime", "store", "kernel", "repl", "notebooks"];

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === "examples" || name === "node_modules") return [];
    if (statSync(full).isDirectory()) return sources(full);
    return /\.tsx?$/.test(name) && !name.endsWith(".d.ts") ? [full] : [];
  });
}

function stale(): boolean {
  for (const source of FOLDERS.flatMap((f) => sources(path.join(root, f)))) {
    const built = path.join(root, "dist", path.relative(root, source)).replace(/\.tsx?$/, ".js");
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(source).mtimeMs) return true;
  }
  return false;
}

export default function setup(): void {
  if (process.env.STEPLAB_TEST_REBUILD === "1" || stale()) {
    execFileSync(process.execPath, [path.join(root, "scripts", "build.mjs")], { cwd: root, stdio: "inherit" });
  }
}
