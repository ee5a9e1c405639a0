/**
 * `steplab FLOW.ts card RUN/STEP[/TASK] [-o FILE.html]`: one self-contained HTML page of a task
 * (its state, the DAG with its step marked, what it displayed, its artifacts, its logs).
 * `show --svg [-o FILE.svg]`: the flow's DAG as an SVG picture.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../errors/index.js";
import { cardPage, dagSvg, flowDag } from "../runtime/cards/index.js";
import type { FlowGraph } from "../runtime/graph/index.js";
import { storeReader, taskPathspec } from "../store/index.js";
import { EXIT, type CliIO } from "./io.js";
import { parseOptions, single } from "./options.js";
import { parseTaskPath } from "./pathspec.js";
import { openUserStore } from "./store-access.js";
import { tasksAt } from "./tasks-at.js";

/** `-o FILE` as the long option the option reader knows. */
export function withOutputOption(args: string[]): string[] {
  return args.map((a) => (a === "-o" ? "--output" : a));
}

function write(io: CliIO, target: string, text: string, what: string): void {
  if (target === "-") {
    io.stdout(text);
    return;
  }
  const file = path.resolve(io.cwd, target);
  writeFileSync(file, text);
  io.stderr(`Wrote ${what} to ${file}\n`);
}

export async function cardCommand(graph: FlowGraph, args: string[], io: CliIO): Promise<number> {
  const parsed = parseOptions(
    withOutputOption(args),
    [{ name: "output", kind: "value", help: "the HTML file to write (- for stdout)" }],
    "card",
  );
  const where = parseTaskPath(parsed.positionals[0], "card");
  const store = openUserStore(io);
  try {
    const tasks = tasksAt(store, graph.name, where);
    if (tasks.length > 1)
      throw new UsageError(
        `Step ${graph.name}/${where.runId}/${where.step} has ${tasks.length} tasks: name one, e.g. ${where.runId}/${where.step}/${tasks[0]!.taskId} (tasks: ${tasks
          .slice(0, 10)
          .map((t) => t.taskId)
          .join(", ")}${tasks.length > 10 ? ", …" : ""})`,
      );
    const task = tasks[0]!;
    const page = cardPage(storeReader(store), task, { graph });
    const target = single(parsed, "output") ?? `${[task.flow, task.runId, task.step, task.taskId].join("_")}.html`;
    write(io, target, page, `the card of ${taskPathspec(task)}`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

export function showSvgCommand(graph: FlowGraph, args: string[], io: CliIO): number {
  const parsed = parseOptions(
    withOutputOption(args),
    [
      { name: "svg", kind: "flag" },
      { name: "output", kind: "value" },
    ],
    "show",
  );
  const svg = `${dagSvg(flowDag(graph), { title: graph.name })}\n`;
  write(io, single(parsed, "output") ?? "-", svg, `the DAG of ${graph.name}`);
  return EXIT.ok;
}
