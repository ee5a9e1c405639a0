/**
 * The real steplab kernel (this test run's build), installed in a temp Jupyter path and driven by
 * Debian's jupyter_client / nbclient through test/helpers/jupyter.py, as a Jupyter user's client
 * drives it.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Project, ROOT } from "./cli.js";

export const PYTHON = "/usr/bin/python3";
const HELPER = path.join(ROOT, "test", "helpers", "jupyter.py");

export const hasJupyter = existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import jupyter_client, nbclient"]).status === 0;

export interface IopubOutput {
  msg_type: string;
  content: Record<string, any>;
}

export interface ExecuteResult {
  reply: Record<string, any>;
  outputs: IopubOutput[];
}

export type Action = { execute: string; metadata?: Record<string, unknown> } | { is_complete: string };

export interface NbclientCell {
  source: string;
  outputs: { output_type: string; text?: string; data?: Record<string, any>; evalue?: string; traceback?: string[] }[];
}

/** What a cell printed, displayed, returned or raised, read off its IOPub messages. */
export const out = {
  stdout: (r: ExecuteResult) =>
    r.outputs
      .filter((o) => o.msg_type === "stream" && o.content.name === "stdout")
      .map((o) => o.content.text)
      .join(""),
  stderr: (r: ExecuteResult) =>
    r.outputs
      .filter((o) => o.msg_type === "stream" && o.content.name === "stderr")
      .map((o) => o.content.text)
      .join(""),
  result: (r: ExecuteResult): string | undefined => r.outputs.find((o) => o.msg_type === "execute_result")?.content.data["text/plain"],
  error: (r: ExecuteResult): { ename: string; evalue: string; traceback: string[] } | undefined =>
    r.outputs.find((o) => o.msg_type === "error")?.content as never,
};

export class JupyterKernel {
  readonly env: NodeJS.ProcessEnv;

  private constructor(
    private readonly project: Project,
    prefix: string,
  ) {
    this.env = {
      ...project.env(),
      JUPYTER_PATH: path.join(prefix, "share", "jupyter"),
      JUPYTER_RUNTIME_DIR: path.join(prefix, "runtime"),
    };
  }

  /** Installs this test run's build as the `steplab` kernelspec under the project. */
  static async install(project: Project): Promise<JupyterKernel> {
    const prefix = path.join(project.dir, "jupyter");
    const r = await project.run(["kernel", "install", "--prefix", prefix]);
    if (r.code !== 0) throw new Error(`kernel install failed:\n${r.stderr}`);
    return new JupyterKernel(project, prefix);
  }

  private python(args: string[]): Promise<any> {
    return new Promise((resolve, reject) => {
      execFile(
        PYTHON,
        [HELPER, ...args],
        { env: this.env, cwd: this.project.dir, timeout: 300_000, maxBuffer: 64 << 20 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`${err.message}\n--- stderr ---\n${stderr.split("\n").slice(-30).join("\n")}`));
          else resolve(JSON.parse(stdout));
        },
      );
    });
  }

  /** Runs the actions in order against one kernel; one result per action. */
  async script(actions: Action[]): Promise<any[]> {
    const file = this.project.write(`actions-${Date.now()}-${Math.random().toString(36).slice(2)}.json`, JSON.stringify(actions));
    return (await this.python(["script", "steplab", file])).results;
  }

  /** Runs a notebook with nbclient (Run All); with allowErrors it goes on after a failed cell. */
  async nbclient(cells: string[] | string, opts: { allowErrors?: boolean } = {}): Promise<NbclientCell[]> {
    let src: string;
    if (typeof cells === "string") src = cells;
    else {
      src = path.join(this.project.dir, `nb-${Date.now()}.ipynb`);
      writeFileSync(
        src,
        JSON.stringify({
          nbformat: 4,
          nbformat_minor: 5,
          metadata: { kernelspec: { name: "steplab", display_name: "TypeScript (steplab)", language: "typescript" } },
          cells: cells.map((source, i) => ({ cell_type: "code", id: `c${i}`, metadata: {}, source, outputs: [], execution_count: null })),
        }),
      );
    }
    const dst = `${src}.out.ipynb`;
    const r = await this.python(["nbclient", "steplab", src, dst, ...(opts.allowErrors ? ["--allow-errors"] : [])]);
    return r.cells;
  }

  /** A client process that started a kernel and waits; resolves once the kernel is ready. */
  orphan(): Promise<{ client: ChildProcess; kernelPid: number }> {
    const client = spawn(PYTHON, [HELPER, "orphan", "steplab"], {
      env: this.env,
      cwd: this.project.dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new Promise((resolve, reject) => {
      let text = "";
      let err = "";
      client.stderr!.on("data", (d) => (err += d));
      client.stdout!.setEncoding("utf8").on("data", (d: string) => {
        text += d;
        if (text.includes("\n")) resolve({ client, kernelPid: JSON.parse(text).kernel_pid });
      });
      client.on("exit", (code) => reject(new Error(`the client exited (${code}) before the kernel was ready:\n${err}`)));
    });
  }
}

/** True while `pid` runs (a zombie left for its new parent to reap counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
