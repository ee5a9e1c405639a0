/** Plain graph walks over a FlowGraph's transitions (targets that are not steps are ignored). */
import type { FlowGraph, StepNode } from "./types.js";

export function stepMap(graph: FlowGraph): Map<string, StepNode> {
  const map = new Map<string, StepNode>();
  for (const s of graph.steps) if (!map.has(s.name)) map.set(s.name, s);
  return map;
}

/** A step's next steps that exist, each once. */
export function targets(step: StepNode, steps: Map<string, StepNode>): StepNode[] {
  const out: StepNode[] = [];
  for (const name of new Set(step.next)) {
    const t = steps.get(name);
    if (t) out.push(t);
  }
  return out;
}

/** Steps with a transition into `name`, in source order, computed from `next` (not trusting inFuncs). */
export function parentsOf(graph: FlowGraph, name: string): string[] {
  const out: string[] = [];
  for (const s of graph.steps) if (s.next.includes(name) && !out.includes(s.name)) out.push(s.name);
  return out;
}

export function reachableFromStart(graph: FlowGraph): Set<string> {
  const steps = stepMap(graph);
  const seen = new Set<string>();
  const start = steps.get("start");
  if (!start) return seen;
  const todo = [start];
  seen.add(start.name);
  for (let s = todo.pop(); s; s = todo.pop()) {
    for (const t of targets(s, steps)) {
      if (!seen.has(t.name)) {
        seen.add(t.name);
        todo.push(t);
      }
    }
  }
  return seen;
}

/**
 * Steps reachable from start in an order where every parent comes before its children (ties
 * broken by source order). Steps on or after a cycle are left out.
 */
export function topoOrder(graph: FlowGraph): StepNode[] {
  const steps = stepMap(graph);
  const reachable = reachableFromStart(graph);
  const pending = new Map<string, number>();
  for (const name of reachable) pending.set(name, 0);
  for (const name of reachable) {
    for (const t of targets(steps.get(name)!, steps)) pending.set(t.name, (pending.get(t.name) ?? 0) + 1);
  }
  const order: StepNode[] = [];
  const ready = graph.steps.filter((s) => reachable.has(s.name) && pending.get(s.name) === 0);
  while (ready.length) {
    const s = ready.shift()!;
    order.push(s);
    for (const t of targets(s, steps)) {
      const left = (pending.get(t.name) ?? 0) - 1;
      pending.set(t.name, left);
      if (left === 0) ready.push(t);
    }
  }
  return order;
}

/** Each cycle once, as the list of steps around it starting where the walk entered it. */
export function findCycles(graph: FlowGraph): string[][] {
  const steps = stepMap(graph);
  const state = new Map<string, "active" | "done">();
  const path: string[] = [];
  const cycles: string[][] = [];
  const seenSets = new Set<string>();
  const visit = (s: StepNode): void => {
    state.set(s.name, "active");
    path.push(s.name);
    for (const t of targets(s, steps)) {
      const st = state.get(t.name);
      if (st === "active") {
        const cycle = path.slice(path.indexOf(t.name));
        const key = [...cycle].sort().join(",");
        if (!seenSets.has(key)) {
          seenSets.add(key);
          cycles.push(cycle);
        }
      } else if (st === undefined) {
        visit(t);
      }
    }
    path.pop();
    state.set(s.name, "done");
  };
  const start = steps.get("start");
  if (start) visit(start);
  for (const s of graph.steps) if (!state.has(s.name)) visit(s);
  return cycles;
}
