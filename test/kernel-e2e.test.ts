/**
 * The real kernel process, installed with `steplab kernel install --prefix` and driven by Debian's
 * jupyter_client and nbclient (/usr/bin/python3, through test/helpers/jupyter.py) — what Jupyter
 * users run. Needs bin/steplab.js and runtime/session; until both exist the run-time tests skip.
 */
import { execFile, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kernelCommand } from "../cli/kernel.js";
import { BIN as BUILT_BIN } from "./helpers/cli.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const PYTHON = "/usr/bin/python3";
const HELPER = join(ROOT, "test", "helpers", "jupyter.py");
const BIN = join(ROOT, "bin", "steplab.js");

function hasJupyterClient(): boolean {
  if (!existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ["-c", "import jupyter_client, nbclient"]).status === 0;
}

const canRunKernel = hasJupyterClient() && existsSync(BIN) && existsSync(join(ROOT, "runtime", "session", "index.ts"));

function python(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<any> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [HELPER, ...args], { env, cwd, timeout: 300_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n--- stderr ---\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

const sink = () => {
  let text = "";
  return {
    write: (s: string) => (text += s),
    get text() {
      return text;
    },
  };
};

describe("steplab kernel install", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "steplab-kernelspec-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes a kernelspec under --prefix without calling Python", async () => {
    const out = sink();
    const code = await kernelCommand(["install", "--prefix", dir], { stdout: out, stderr: sink(), env: {} });
    expect(code).toBe(0);
    const file = join(dir, "share", "jupyter", "kernels", "steplab", "kernel.json");
    expect(out.text).toContain(dirname(file));
    const spec = JSON.parse(await readFile(file, "utf8"));
    expect(spec).toMatchObject({
      argv: [process.execPath, "--no-node-snapshot", BIN, "kernel", "-f", "{connection_file}"],
      display_name: "TypeScript (steplab)",
      language: "typescript",
      interrupt_mode: "message",
    });
  });

  it("installs per user by default, honouring JUPYTER_DATA_DIR", async () => {
    const data = join(dir, "data");
    const code = await kernelCommand(["install"], { stdout: sink(), stderr: sink(), env: { JUPYTER_DATA_DIR: data } });
    expect(code).toBe(0);
    expect(existsSync(join(data, "kernels", "steplab", "kernel.json"))).toBe(true);
  });

  it("puts --sys-prefix into the active virtualenv", async () => {
    const venv = join(dir, "venv");
    await kernelCommand(["install", "--sys-prefix"], { stdout: sink(), stderr: sink(), env: { VIRTUAL_ENV: venv } });
    expect(existsSync(join(venv, "share", "jupyter", "kernels", "steplab", "kernel.json"))).toBe(true);
  });

  it("rejects unknown options with usage and exit code 2", async () => {
    const err = sink();
    expect(await kernelCommand(["install", "--bogus"], { stdout: sink(), stderr: err, env: {} })).toBe(2);
    expect(err.text).toContain("--bogus");
    expect(await kernelCommand(["-x"], { stdout: sink(), stderr: sink(), env: {} })).toBe(2);
  });
});

describe.skipIf(!canRunKernel)("steplab kernel driven by jupyter_client", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "steplab-kernel-e2e-"));
    // This test run's build (test/global-setup.ts), not the checkout's dist/, which may be stale.
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, ["--no-node-snapshot", BUILT_BIN, "kernel", "install", "--prefix", dir], (err, _out, stderr) =>
        err ? reject(new Error(`kernel install failed: ${err.message}\n${stderr}`)) : resolve(),
      ),
    );
    env = {
      ...process.env,
      JUPYTER_PATH: join(dir, "share", "jupyter"),
      JUPYTER_RUNTIME_DIR: join(dir, "runtime"),
      STEPLAB_DATASTORE: join(dir, ".steplab"),
    };
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("executes, fails, is interrupted, completes, inspects, remembers history and ignores forgeries", async () => {
    const cells = {
      ok: ["//% step start\nself.greeting = 'hello';\nconsole.log('printed ' + self.greeting);\n1 + 1"],
      error: "//% skip\nthrow new Error('boom')",
      loop: "//% skip\nwhile (true) {}",
      complete: { code: "Math.ma", cursor: 7 },
      inspect: { code: "Math.max", cursor: 8 },
      incomplete: "function f() {",
      unstored: "//% skip\n'kept out of the history'",
      forged: "//% skip\nconsole.log('FORGED')",
    };
    const cellsFile = join(dir, "cells.json");
    await writeFile(cellsFile, JSON.stringify(cells));
    const r = await python(["scenario", "steplab", cellsFile], env, dir);

    expect(r.kernel_info).toMatchObject({ status: "ok", implementation: "steplab", language_info: { name: "typescript" } });

    const [first] = r.ok;
    expect(first.reply.status).toBe("ok");
    const outputs = first.outputs as { msg_type: string; content: any }[];
    expect(outputs.find((o) => o.msg_type === "stream")?.content.text).toContain("printed hello");
    expect(outputs.find((o) => o.msg_type === "execute_result")?.content.data["text/plain"]).toContain("2");

    expect(r.error.reply).toMatchObject({ status: "error", evalue: expect.stringContaining("boom") });
    expect(r.error.outputs.some((o: { msg_type: string }) => o.msg_type === "error")).toBe(true);

    // The helper gives the interrupt 10 s; the session's isolate disposal should take well under 1 s.
    expect(r.loop.reply.status).toBe("error");
    console.log(`interrupt of an infinite loop answered in ${Math.round(r.loop.interrupt_ms)} ms`);
    expect(r.after_interrupt.reply.status).toBe("ok");

    expect(r.complete.status).toBe("ok");
    expect(r.complete.matches).toContain("max");
    expect(r.inspect).toMatchObject({ status: "ok", found: true });
    expect(r.is_complete.incomplete.status).toBe("incomplete");
    expect(r.is_complete.complete.status).toBe("complete");

    const tail = r.history.tail.history.map((h: unknown[]) => h[2]);
    expect(tail).toContain(cells.ok[0]);
    expect(tail).toContain(cells.error);
    // store_history=False runs the cell but keeps it out of the history.
    expect(r.unstored.reply.status).toBe("ok");
    expect(tail).not.toContain(cells.unstored);

    expect(r.forged.answered).toBe(false);
    expect(r.forged.iopub_for_forged).toEqual([]);
    expect(r.forged.after.reply.status).toBe("ok");
  }, 300_000);

  it("runs a notebook with nbclient", async () => {
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "steplab", display_name: "TypeScript (steplab)", language: "typescript" } },
      cells: [
        "//% step start\nself.creatures = ['bird', 'mouse', 'dog'];",
        "//% step count\nconsole.log('counting');\nself.n = self.creatures.length;\nself.n",
      ].map((source, i) => ({ cell_type: "code", id: `c${i}`, metadata: {}, source, outputs: [], execution_count: null })),
    };
    const src = join(dir, "e2e.ipynb");
    const dst = join(dir, "e2e.out.ipynb");
    await writeFile(src, JSON.stringify(nb));
    const r = await python(["nbclient", "steplab", src, dst], env, dir);
    const last = r.cells[1].outputs as { output_type: string; text?: string; data?: Record<string, string> }[];
    expect(last.find((o) => o.output_type === "stream")?.text).toContain("counting");
    expect(last.find((o) => o.output_type === "execute_result")?.data?.["text/plain"]).toContain("3");
    expect(existsSync(dst)).toBe(true);
  }, 300_000);
});
