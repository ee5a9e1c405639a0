/** Runs the built CLI (bin/steplab.js) as a user would, timing the whole process. */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "bin", "steplab.js");

/** `steplab ARGS` in `cwd` on `datastore`; rejects with its output when it exits non-zero. */
export function runSteplab(args, { cwd, datastore, env = {} }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ["--no-node-snapshot", BIN, ...args], {
      cwd,
      env: { ...process.env, STEPLAB_DATASTORE: datastore, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) reject(new Error(`steplab ${args.join(" ")} exited ${code}\n${stdout}\n${stderr}`));
      else resolve({ seconds, stdout, stderr });
    });
  });
}
