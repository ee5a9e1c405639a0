/** The console a command's run prints to (`run`, `resume`, `spin`, `step`). */
import { consoleStyle, RunConsole } from "../runtime/scheduler/index.js";
import type { CliIO } from "./io.js";

/** Coloured on a terminal unless NO_COLOR is set (as Metaflow's), plain elsewhere. */
export async function runConsole(io: CliIO): Promise<RunConsole> {
  const style = await consoleStyle(io.isTTY && io.env.NO_COLOR === undefined);
  return new RunConsole({ stdout: io.stdout, stderr: io.stderr, style });
}
