/**
 * The `steplab` command: a flow file's commands, or one of convert, repl, kernel, runs, help.
 * Every error a user can cause ends in one clear message and an exit code, never a stack trace.
 */
import { openStore, resolveStoreRoot } from "../../store/index.js";
import { setDefaultReader } from "../client/index.js";
import { storeReader } from "../client/store-reader.js";
import { SteplabError, UsageError } from "../errors.js";
import { flowCommand } from "./flow.js";
import { MAIN_USAGE } from "./help.js";
import { EXIT, processIO, type CliIO } from "./io.js";
import { runsCommand } from "./runs.js";

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
    case "runs":
      return runsCommand(rest, io);
  }
  if (/\.(m?[jt]s|tsx)$/.test(first)) return flowCommand(first, rest, io);
  throw new UsageError(`'${first}' is neither a flow file (FLOW.ts) nor a command.\n\n${MAIN_USAGE}`);
}

export async function main(args: string[], io: CliIO = processIO()): Promise<number> {
  setDefaultReader(() => storeReader(openStore(resolveStoreRoot(io.cwd, io.env))));
  try {
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
