/** `steplab FLOW.ts COMMAND ...`: the commands of one flow file. */
import path from "node:path";
import { UsageError } from "../errors/index.js";
import type { FlowGraph } from "../runtime/graph/index.js";
import { dumpCommand } from "./dump.js";
import { flowUsage } from "./help.js";
import { EXIT, type CliIO } from "./io.js";
import { logsCommand } from "./logs.js";
import { resumeCommand, runCommand } from "./run.js";
import { lintPasses, loadGraph } from "./validate.js";

export async function flowCommand(file: string, args: string[], io: CliIO): Promise<number> {
  const graph = await loadGraph(file, io.cwd);
  const [command = "check", ...rest] = args;
  const shown = path.relative(io.cwd, graph.file) || file;
  if (rest.includes("--help") || command === "--help" || command === "help") {
    const { summarizeParameters } = await import("../runtime/parameters/index.js");
    const { resolveStoreRoot } = await import("../store/index.js");
    io.stdout(flowUsage(graph, shown, await summarizeParameters(graph, resolveStoreRoot(io.cwd, io.env))));
    return EXIT.ok;
  }
  try {
    return await flowSubcommand(graph, command, rest, io);
  } catch (err) {
    // click's shape: the usage line and where to get help, then main prints `Error: ...`.
    if (err instanceof UsageError) {
      io.stderr(`Usage: steplab ${shown} ${command} [OPTIONS]\nTry 'steplab ${shown} ${command} --help' for help.\n\n`);
    }
    throw err;
  }
}

async function flowSubcommand(graph: FlowGraph, command: string, rest: string[], io: CliIO): Promise<number> {
  switch (command) {
    case "check": {
      if (!lintPasses(graph, io)) return EXIT.failed;
      io.stdout("The graph looks good!\n");
      return EXIT.ok;
    }
    case "show": {
      if (rest.length) {
        const { showSvgCommand } = await import("./card.js");
        return showSvgCommand(graph, rest, io);
      }
      const { formatShow } = await import("../runtime/graph/index.js");
      io.stdout(formatShow(graph));
      return EXIT.ok;
    }
    case "run":
      return runCommand(graph, rest, io);
    case "resume":
      return resumeCommand(graph, rest, io);
    case "logs":
      return logsCommand(graph, rest, io);
    case "dump":
      return dumpCommand(graph, rest, io);
    case "spin": {
      const { spinCommand } = await import("./spin.js");
      return spinCommand(graph, rest, io);
    }
    case "card": {
      const { cardCommand } = await import("./card.js");
      return cardCommand(graph, rest, io);
    }
    case "step": {
      const { stepCommand } = await import("./step.js");
      return stepCommand(graph, rest, io);
    }
    case "argo-workflows": {
      const { argoCommand } = await import("./argo.js");
      return argoCommand(graph, rest, io);
    }
    default:
      throw new UsageError(
        `No such command '${command}'. Commands: check, show, run, resume, spin, logs, dump, card, step, argo-workflows, help`,
      );
  }
}
