/**
 * Runs the real `steplab` command (node --no-node-snapshot bin/steplab.js ...) in a temp project
 * whose datastore (STEPLAB_DATASTORE) is a temp dir, and reads what it stored back through the
 * client API over a real LMDB store.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { inject } from "vitest";
import { openStore, type Store } from "../../store/index.js";
import { storeReader } from "../../store/index.js";
import { Flow, type StoreReader } from "../../runtime/client/index.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The command as built for this test run by test/global-setup.ts (falls back to the checkout's). */
export const BIN: string = (() => {
  try {
    return inject("steplabBin") ?? path.join(ROOT, "bin", "steplab.js");
  } catch {
    return path.join(ROOT, "bin", "steplab.js");
  }
})();
export const FLOWS = path.join(ROOT, "test", "fixtures", "flows");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** The console lines of a run: `YYYY-MM-DD HH:MM:SS.mmm [run/step/task (pid N)] text`. */
export const TASK_LINE = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \[(\d+)\/(\w+)\/(\d+) \(pid (\d+)\)\] (.*)$/;

export class Project {
  readonly dir: string;
  readonly datastore: string;
  private store?: Store;

  constructor() {
    this.dir = mkdtempSync(path.join(os.tmpdir(), "steplab-cli-"));
    this.datastore = path.join(this.dir, "datastore");
  }

  /** Copies a fixture flow (test/fixtures/flows/NAME) into the project; returns its path there. */
  fixture(name: string): string {
    const to = path.join(this.dir, name);
    cpSync(path.join(FLOWS, name), to);
    return to;
  }

  write(name: string, text: string): string {
    const to = path.join(this.dir, name);
    writeFileSync(to, text);
    return to;
  }

  env(extra: CliOptions["env"] = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, STEPLAB_DATASTORE: this.datastore, NO_COLOR: "1" };
    for (const key of Object.keys(env)) if (key.startsWith("STEPLAB_RUN_")) delete env[key];
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return env;
  }

  /** Starts `steplab ...args` without waiting (for kill tests). */
  spawn(args: string[], opts: CliOptions = {}): ChildProcess {
    return spawn(process.execPath, ["--no-node-snapshot", BIN, ...args], {
      cwd: opts.cwd ?? this.dir,
      env: this.env(opts.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  run(args: string[], opts: CliOptions = {}): Promise<CliResult> {
    const child = this.spawn(args, opts);
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (t: string) => (stdout += t));
    child.stderr!.setEncoding("utf8").on("data", (t: string) => (stderr += t));
    return new Promise((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
  }

  /** The datastore, opened once per project (reads see every commit made so far). */
  openStore(): Store {
    this.store ??= openStore(this.datastore);
    return this.store;
  }

  reader(): StoreReader {
    return storeReader(this.openStore());
  }

  /** The client's Flow over this project's datastore. */
  flow(name: string) {
    return Flow(name, this.reader());
  }

  async cleanup(): Promise<void> {
    await this.store?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Task lines of a run's stdout, parsed. */
export function taskLines(stdout: string) {
  return stdout
    .split("\n")
    .map((l) => TASK_LINE.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ time: m[1]!, runId: m[2]!, step: m[3]!, taskId: m[4]!, pid: Number(m[5]), text: m[6]! }));
}

/** The run id from `Workflow starting (run-id N):`. */
export function runIdOf(stdout: string): string {
  const m = /Workflow starting \(run-id (\d+)\):/.exec(stdout);
  if (!m) throw new Error(`no run id in:\n${stdout}`);
  return m[1]!;
}
