#!/usr/bin/env -S node --no-node-snapshot
// isolated-vm needs V8 without Node's startup snapshot: re-run ourselves with the flag when a
// caller started us without it (`node bin/steplab.js`, some npx shims).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const needsFlag = !process.execArgv.includes("--no-node-snapshot");
if (needsFlag) {
  const { spawn } = await import("node:child_process");
  const child = spawn(
    process.execPath,
    ["--no-node-snapshot", ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: "inherit",
    },
  );
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 1)));
} else {
  const built = new URL("../dist/bundle/cli.js", import.meta.url);
  if (!existsSync(fileURLToPath(built))) {
    process.stderr.write("steplab is not built: run `npm install` (or `npm run build`) in the steplab package.\n");
    process.exit(1);
  }
  const { main } = await import(built.href);
  process.exitCode = await main(process.argv.slice(2));
}
