/**
 * The DAGs steplab draws: a flow file's (`show --svg`), and a run's with each step's state (cards).
 * A run's DAG comes from its flow file when it is at hand (every step, even those not reached),
 * else from what its tasks recorded (their inputs and the transitions they took).
 */
import type { StoreReader, TaskRecord } from "../../store/index.js";
import type { FlowGraph } from "../graph/index.js";
import type { Dag, DagEdge, DagNode, StepState } from "./dag.js";

function firstLine(text: string | undefined): string | undefined {
  return text
    ?.split("\n")
    .find((l) => l.trim() !== "")
    ?.trim();
}

/** A flow file's steps and transitions (no states: nothing has run). */
export function flowDag(graph: FlowGraph): Dag {
  const nodes: DagNode[] = graph.steps.map((s) => ({
    name: s.name,
    // A foreach is labelled on its edge.
    detail: s.type === "join" ? "join" : undefined,
    tooltip: firstLine(s.doc),
    state: "pending",
  }));
  const edges: DagEdge[] = graph.steps.flatMap((s) =>
    s.next.map((to) => ({ from: s.name, to, ...(s.foreach ? { foreach: s.foreach } : {}) })),
  );
  return { nodes, edges };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** A task whose results came from another run's: cloned by `resume`, or reused by `run --cache`. */
export function isReused(task: TaskRecord): boolean {
  return task.reusedFrom !== undefined || task.originPathspec !== undefined;
}

/** One state for a step's tasks: any running, else any failed, else reused (all of them), else succeeded. */
export function stepState(tasks: readonly TaskRecord[]): StepState {
  if (tasks.length === 0) return "pending";
  if (tasks.some((t) => t.status === "running")) return "running";
  if (tasks.some((t) => t.status === "failed")) return "failed";
  if (tasks.every(isReused)) return "reused";
  return "succeeded";
}

function detailOf(tasks: readonly TaskRecord[], state: StepState): string {
  if (tasks.length === 0) return "not run";
  return tasks.length > 1 ? `${state} · ${plural(tasks.length, "task")}` : state;
}

/** A run's DAG: the flow's steps (from `graph`, else from the tasks), each with its tasks' state. */
export function runDag(reader: StoreReader, flow: string, runId: string, graph?: FlowGraph): Dag {
  const tasks = reader.listRunTasks(flow, runId);
  const byStep = new Map<string, TaskRecord[]>();
  for (const t of tasks) byStep.set(t.step, [...(byStep.get(t.step) ?? []), t]);
  const edges = new Map<string, DagEdge>();
  const addEdge = (edge: DagEdge) => {
    const key = `${edge.from}\0${edge.to}`;
    if (!edges.has(key) || edge.foreach) edges.set(key, edge);
  };
  const order: string[] = [];
  const addStep = (name: string) => {
    if (!order.includes(name)) order.push(name);
  };
  if (graph) {
    for (const e of flowDag(graph).edges) addEdge(e);
    for (const s of graph.steps) addStep(s.name);
  }
  const stepOfTask = new Map(tasks.map((t) => [t.taskId, t.step]));
  for (const t of tasks) {
    addStep(t.step);
    for (const input of t.inputs) {
      const from = stepOfTask.get(input);
      if (from) addEdge({ from, to: t.step });
    }
    for (const to of t.next?.steps ?? []) {
      addStep(to);
      addEdge({ from: t.step, to, ...(t.next?.foreach ? { foreach: t.next.foreach } : {}) });
    }
  }
  const docs = new Map(graph?.steps.map((s) => [s.name, firstLine(s.doc)]) ?? []);
  const nodes = order.map((name): DagNode => {
    const stepTasks = byStep.get(name) ?? [];
    const state = stepState(stepTasks);
    const tooltip = docs.get(name);
    return { name, state, detail: detailOf(stepTasks, state), ...(tooltip ? { tooltip } : {}) };
  });
  return { nodes, edges: [...edges.values()] };
}
