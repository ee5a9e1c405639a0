/**
 * Builds the package once before the test files run, so tests that start the real `steplab`
 * command exercise the sources as they are now. The build goes to a private copy
 * (node_modules/.cache/steplab/test-build-PID/{bin,dist,package.json}) with scripts/build.mjs's
 * build: other builds of the shared checkout (which wipe dist/) cannot pull
 * modules from under a running command. Tests find it with inject("steplabBin").
 */
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildTo } from "../scripts/build.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

declare module "vitest" {
  export interface ProvidedContext {
    steplabBin: string;
  }
}

export default async function setup({ provide }: { provide(key: "steplabBin", value: string): void }) {
  const out = path.join(root, "node_modules", ".cache", "steplab", `test-build-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(path.join(out, "bin"), { recursive: true });
  await buildTo(path.join(out, "dist"));
  copyFileSync(path.join(root, "bin", "steplab.js"), path.join(out, "bin", "steplab.js"));
  copyFileSync(path.join(root, "package.json"), path.join(out, "package.json"));
  provide("steplabBin", path.join(out, "bin", "steplab.js"));
  return () => rmSync(out, { recursive: true, force: true });
}
