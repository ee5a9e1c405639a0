/** `steplab FLOW.ts logs RUN/STEP[/TASK] [--stdout|--stderr]`: a task's captured output. */
import type { FlowGraph } from "../runtime/graph/index.js";
import { EXIT, type CliIO } from "./io.js";
import { parseOptions } from "./options.js";
import { parseTaskPath } from "./pathspec.js";
import { openUserStore } from "./store-access.js";
import { tasksAt } from "./tasks-at.js";

export async function logsCommand(graph: FlowGraph, args: string[], io: CliIO): Promise<number> {
  const parsed = parseOptions(
    args,
    [
      { name: "stdout", kind: "flag" },
      { name: "stderr", kind: "flag" },
    ],
    "logs",
  );
  const path = parseTaskPath(parsed.positionals[0], "logs");
  const onlyOut = parsed.values.has("stdout");
  const onlyErr = parsed.values.has("stderr");
  const store = openUserStore(io);
  try {
    const tasks = tasksAt(store, graph.name, path);
    for (const task of tasks) {
      if (tasks.length > 1) io.stderr(`Showing logs of ${graph.name}/${task.runId}/${task.step}/${task.taskId}\n`);
      const logs = store.getLogs(graph.name, task.runId, task.step, task.taskId) ?? { stdout: "", stderr: "" };
      if (!onlyErr) io.stdout(logs.stdout);
      if (!onlyOut) io.stderr(logs.stderr);
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
