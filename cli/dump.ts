/**
 * `steplab FLOW.ts dump RUN/STEP[/TASK] [--include a,b] [--max-value-size N] [--private]`:
 * one line per artifact, `name [size: BYTES type: TYPE] = VALUE`, sorted by name.
 */
import { inspect } from "node:util";
import { decodeArtifact, fromEnvelopes, type ArtifactRef, type RECORDED_NAMES, type Store, type TaskRecord } from "../store/index.js";
import type { FlowGraph } from "../runtime/graph/index.js";
import { EXIT, type CliIO } from "./io.js";
import { integerOption, parseOptions, single } from "./options.js";
import { parseTaskPath } from "./pathspec.js";
import { openUserStore } from "./store-access.js";
import { tasksAt } from "./tasks-at.js";

export const DEFAULT_MAX_VALUE_SIZE = 1000;

function show(value: unknown): string {
  return inspect(value, { depth: 6, breakLength: Infinity, maxArrayLength: 100, maxStringLength: 10_000 });
}

/** `name [size: BYTES type: TYPE] = VALUE`, the value cut at `maxValueSize` bytes. */
export function artifactLine(store: Store, name: string, ref: ArtifactRef, maxValueSize = DEFAULT_MAX_VALUE_SIZE): string {
  const value =
    ref.size > maxValueSize
      ? `<value too large to show: ${ref.size} bytes; raise --max-value-size to see it>`
      : // A class instance shows under its class's name, whether or not this process knows the class.
        show(fromEnvelopes(decodeArtifact(store.getBlob(ref.sha)), { unknown: "describe" }));
  return `${name} [size: ${ref.size} type: ${ref.type}] = ${value}`;
}

function privateFields(task: TaskRecord): [(typeof RECORDED_NAMES)[number], unknown][] {
  return [
    ["_status", task.status],
    ["_attempt", task.attempt],
    ["_pid", task.pid],
    ["_started_at", new Date(task.startedAt).toISOString()],
    ["_finished_at", task.finishedAt ? new Date(task.finishedAt).toISOString() : undefined],
    ["_transition", task.next],
    ["_foreach_stack", task.stack],
    ["_inputs", task.inputs],
    ["_origin_pathspec", task.originPathspec],
    ["_reused_from", task.reusedFrom],
    ["_exception", task.error ? `${task.error.name}: ${task.error.message}` : undefined],
  ];
}

export async function dumpCommand(graph: FlowGraph, args: string[], io: CliIO): Promise<number> {
  const parsed = parseOptions(
    args,
    [
      { name: "include", kind: "value" },
      { name: "max-value-size", kind: "value" },
      { name: "private", kind: "flag" },
    ],
    "dump",
  );
  const path = parseTaskPath(parsed.positionals[0], "dump");
  const include = single(parsed, "include")
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const maxValueSize = integerOption(single(parsed, "max-value-size"), "max-value-size", DEFAULT_MAX_VALUE_SIZE);
  const store = openUserStore(io);
  try {
    for (const task of tasksAt(store, graph.name, path)) {
      io.stdout(`Dumping output of run_id=${task.runId} step=${task.step} task_id=${task.taskId}\n`);
      const names = Object.keys(task.artifacts)
        .filter((n) => !include || include.includes(n))
        .sort();
      for (const name of names) io.stdout(`${artifactLine(store, name, task.artifacts[name]!, maxValueSize)}\n`);
      if (parsed.values.has("private")) {
        for (const [name, value] of privateFields(task)) {
          if (value !== undefined) io.stdout(`${name} = ${show(value)}\n`);
        }
      }
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
