/**
 * `steplab kernel install [--user|--sys-prefix|--prefix DIR]` and `steplab kernel -f FILE`.
 * The CLI dispatcher routes `kernel ...` here with the arguments after `kernel`.
 */
import { resolve } from "node:path";
import {
  type KernelspecLocation,
  type SessionFactory,
  installKernelspec,
  readConnectionFile,
  startKernel,
  watchParent,
} from "../kernel/index.js";
import { SteplabError, UsageError } from "../errors/index.js";

export interface KernelCommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Overrides the real notebook session (tests, embedding). */
  createSession?: SessionFactory;
}

const ORPHAN_EXIT_GRACE_MS = 2000;

const USAGE = `Usage:
  steplab kernel install [--user | --sys-prefix | --prefix DIR]
      Register the steplab TypeScript kernel with Jupyter (default: --user).
      --user        ~/.local/share/jupyter/kernels/steplab (or $JUPYTER_DATA_DIR)
      --sys-prefix  <prefix>/share/jupyter/kernels/steplab, where <prefix> is $VIRTUAL_ENV,
                    else $CONDA_PREFIX, else /usr/local (Python is not run to ask)
      --prefix DIR  DIR/share/jupyter/kernels/steplab
  steplab kernel -f CONNECTION_FILE
      Start the kernel (Jupyter runs this from the kernelspec).
`;

/** The real session, imported only when a kernel starts: `kernel install` and kernel_info stay light. */
const defaultSessionFactory =
  (env: NodeJS.ProcessEnv, cwd: string): SessionFactory =>
  async ({ historySession }) => {
    const { createSession } = await import("../runtime/session/index.js");
    return createSession({
      historySession,
      env,
      ...(env.STEPLAB_DATASTORE ? { storeRoot: env.STEPLAB_DATASTORE } : {}),
      // jupyter_server tells a kernel which notebook it serves through JPY_SESSION_NAME.
      ...(env.JPY_SESSION_NAME ? { notebookPath: resolve(cwd, env.JPY_SESSION_NAME) } : {}),
    });
  };

function parseInstall(args: string[], cwd: string): KernelspecLocation {
  let location: KernelspecLocation = { kind: "user" };
  let seen = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    seen++;
    if (a === "--user") location = { kind: "user" };
    else if (a === "--sys-prefix") location = { kind: "sys-prefix" };
    else if (a === "--prefix" || a.startsWith("--prefix=")) {
      const dir = a.startsWith("--prefix=") ? a.slice("--prefix=".length) : args[++i];
      if (!dir) throw new UsageError("--prefix needs a directory: steplab kernel install --prefix DIR");
      location = { kind: "prefix", dir: resolve(cwd, dir) };
    } else throw new UsageError(`unknown option ${a} for steplab kernel install`);
  }
  if (seen > 1) throw new UsageError("give at most one of --user, --sys-prefix, --prefix DIR");
  return location;
}

function parseStart(args: string[]): string {
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-f" || a === "--connection-file") file = args[++i];
    else if (a.startsWith("--connection-file=")) file = a.slice("--connection-file=".length);
    else throw new UsageError(`unknown option ${a} for steplab kernel`);
  }
  if (!file) throw new UsageError("steplab kernel needs a connection file: steplab kernel -f CONNECTION_FILE");
  return file;
}

export async function kernelCommand(args: string[], io: KernelCommandIo): Promise<number> {
  const env = io.env ?? process.env;
  const cwd = io.cwd ?? process.cwd();
  try {
    const [first, ...rest] = args;
    if (first === undefined || first === "--help" || first === "-h" || first === "help") {
      io.stdout.write(USAGE);
      return first === undefined ? 2 : 0;
    }
    if (first === "install") {
      if (rest.includes("--help") || rest.includes("-h")) {
        io.stdout.write(USAGE);
        return 0;
      }
      const dir = await installKernelspec(parseInstall(rest, cwd), { env });
      io.stdout.write(`Installed kernelspec steplab in ${dir}\n`);
      return 0;
    }
    const file = parseStart(args);
    // A kernel outlives any one cell's mistakes: a stray rejection is logged, not fatal.
    const onRejection = (e: unknown) => void io.stderr.write(`steplab kernel: unhandled rejection: ${(e as Error)?.stack ?? e}\n`);
    process.on("unhandledRejection", onRejection);
    const kernel = await startKernel({
      connection: await readConnectionFile(resolve(cwd, file)),
      createSession: io.createSession ?? defaultSessionFactory(env, cwd),
      handleSignals: true,
      log: (line) => void io.stderr.write(`${line}\n`),
    });
    // Like ipykernel: when the process that started the kernel is gone, the kernel goes too.
    let orphaned = false;
    const stopWatching = watchParent(env, () => {
      orphaned = true;
      io.stderr.write("steplab kernel: the process that started this kernel (JPY_PARENT_PID) is gone; shutting down\n");
      void kernel.shutdown();
    });
    await kernel.finished;
    stopWatching();
    process.off("unhandledRejection", onRejection);
    // Nobody waits for this process any more: do not let a stray handle (a child, a timer) keep it.
    if (orphaned) setTimeout(() => process.exit(0), ORPHAN_EXIT_GRACE_MS).unref();
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`${e.message}\n\n${USAGE}`);
      return 2;
    }
    io.stderr.write(`steplab kernel: ${e instanceof SteplabError ? e.message : ((e as Error).stack ?? String(e))}\n`);
    return 1;
  }
}
