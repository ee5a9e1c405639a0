/**
 * The `steplab` command: a flow file's commands, or one of convert, repl, kernel, runs, gc, help.
 * Every error a user can cause ends in one clear message and an exit code, never a stack trace.
 */
import { SteplabError, UsageError } from "../errors/index.js";
import { EXIT, processIO, type CliIO } from "./io.js";
import { MAIN_USAGE } from "./main-usage.js";

// Commands load what they need on demand, so `steplab kernel` is answering Jupyter while a flow
// command's graph parser and store are never loaded.

async function dispatch(args: string[], io: CliIO): Promise<number> {
  const [first, ...rest] = args;
  if (first === undefined || first === "help" || first === "--help" || first === "-h") {
    io.stdout(MAIN_USAGE);
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  switch (first) {
    case "convert": {
      const { convertCommand } = await import("./convert.js");
      return convertCommand(rest, { stdout: io.stdout, stderr: io.stderr });
    }
    case "repl": {
      const { replCommand } = await import("./repl.js");
      return replCommand(rest, io);
    }
    case "kernel": {
      const { kernelCommand } = await import("./kernel.js");
      return kernelCommand(rest, { stdout: { write: io.stdout }, stderr: { write: io.stderr }, env: io.env, cwd: io.cwd });
    }
    case "runs": {
      const { runsCommand } = await import("./runs.js");
      return runsCommand(rest, io);
    }
    case "gc": {
      const { gcCommand } = await import("./gc.js");
      return gcCommand(rest, io);
    }
    case "cards": {
      const { cardsCommand } = await import("./cards.js");
      return cardsCommand(rest, io);
    }
    case "worker": {
      const { workerCommand } = await import("./worker.js");
      return workerCommand(rest, io);
    }
  }
  if (/\.(m?[jt]s|tsx)$/.test(first)) {
    const { flowCommand } = await import("./flow.js");
    return flowCommand(first, rest, io);
  }
  throw new UsageError(`'${first}' is neither a flow file (FLOW.ts) nor a command.\n\n${MAIN_USAGE}`);
}

async function readPastRunsFrom(io: CliIO): Promise<void> {
  const [{ openStore, resolveStoreRoot, storeReader }, { setDefaultReader, setDefaultUser }, { currentUsername }] = await Promise.all([
    import("../store/index.js"),
    import("../runtime/client/index.js"),
    import("../runtime/support/index.js"),
  ]);
  setDefaultReader(() => storeReader(openStore(resolveStoreRoot(io.cwd, io.env))));
  setDefaultUser(() => currentUsername(io.env));
}

export async function main(args: string[], io: CliIO = processIO()): Promise<number> {
  try {
    if (args[0] !== "kernel" && args[0] !== "convert") await readPastRunsFrom(io);
    return await dispatch(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`Error: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof SteplabError) {
      io.stderr(`Error: ${err.message}\n`);
      return EXIT.failed;
    }
    throw err;
  }
}
