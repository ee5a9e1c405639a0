/**
 * `steplab kernel install`: writes the kernelspec without running Python or `jupyter kernelspec`,
 * so installing works wherever node does.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { binPath } from "./package-info.js";

export const KERNEL_NAME = "steplab";

export type KernelspecLocation = { kind: "user" } | { kind: "sys-prefix" } | { kind: "prefix"; dir: string };

export interface KernelSpecJson {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: "message";
  metadata: Record<string, unknown>;
}

export function kernelSpec(entry = binPath(), node = process.execPath): KernelSpecJson {
  return {
    argv: [node, "--no-node-snapshot", entry, "kernel", "-f", "{connection_file}"],
    display_name: "TypeScript (steplab)",
    language: "typescript",
    interrupt_mode: "message",
    metadata: { debugger: false },
  };
}

/** Jupyter's per-user data directory, as jupyter_core computes it. */
export function userDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (platform === "darwin") return join(homedir(), "Library", "Jupyter");
  if (platform === "win32") return join(env.APPDATA ?? join(homedir(), "AppData", "Roaming"), "jupyter");
  return join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "jupyter");
}

/**
 * Python's sys.prefix, guessed without running Python: the active virtualenv, else the active
 * conda environment, else /usr/local — which Debian's and most Unix Pythons search
 * (/usr/local/share/jupyter is on their jupyter_path) and which is what `pip install` uses
 * outside a venv.
 */
export function sysPrefix(env: NodeJS.ProcessEnv = process.env): string {
  return env.VIRTUAL_ENV || env.CONDA_PREFIX || "/usr/local";
}

/** The directory the kernelspec goes to: `<data dir>/kernels/steplab`. */
export function kernelspecDir(location: KernelspecLocation, env: NodeJS.ProcessEnv = process.env): string {
  switch (location.kind) {
    case "user":
      return join(userDataDir(env), "kernels", KERNEL_NAME);
    case "sys-prefix":
      return join(sysPrefix(env), "share", "jupyter", "kernels", KERNEL_NAME);
    case "prefix":
      return join(location.dir, "share", "jupyter", "kernels", KERNEL_NAME);
  }
}

/** Writes kernel.json; returns the directory written. */
export async function installKernelspec(
  location: KernelspecLocation,
  opts: { env?: NodeJS.ProcessEnv; entry?: string; node?: string } = {},
): Promise<string> {
  const dir = kernelspecDir(location, opts.env);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "kernel.json"), `${JSON.stringify(kernelSpec(opts.entry, opts.node), null, 2)}\n`);
  return dir;
}
