/**
 * Where each step sits in the Argo DAGs. Argo fans out one DAG task per item with `withParam`, so
 * a foreach body of several steps (or one with a nested foreach) becomes its own DAG template,
 * called once per item; a body of a single step fans out directly. Static splits and their joins
 * need nothing special: they are plain DAG dependencies.
 */
import { parentsOf, splitParents, splitStacks, type FlowGraph, type StepNode } from "../graph/index.js";

export interface ForeachBody {
  /** The foreach step. */
  split: string;
  /** The body's first step, run once per item. */
  first: string;
  /** The body's last step, the one that goes to the join. */
  last: string;
  join: string;
  /** The body is `first` alone, which then fans out itself rather than through a sub-DAG. */
  single: boolean;
}

export interface Layout {
  steps: Map<string, StepNode>;
  /** Each reachable step's enclosing foreach steps, outermost first; [] for the main DAG. */
  levels: Map<string, string[]>;
  /** Foreach step -> its body. */
  bodies: Map<string, ForeachBody>;
  /** First step of a body -> that body (these steps take a split index). */
  firstOf: Map<string, ForeachBody>;
}

export function sameLevel(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** Lays out a lint-clean graph (every foreach closed by exactly one join). */
export function layoutOf(graph: FlowGraph): Layout {
  const steps = new Map(graph.steps.map((s) => [s.name, s]));
  const isForeach = (name: string): boolean => steps.get(name)?.foreach !== undefined;
  const levels = new Map<string, string[]>();
  for (const [name, stack] of splitStacks(graph)) levels.set(name, stack.filter(isForeach));

  const bodies = new Map<string, ForeachBody>();
  const firstOf = new Map<string, ForeachBody>();
  for (const [join, split] of splitParents(graph)) {
    const node = steps.get(split);
    if (node?.foreach === undefined) continue;
    const first = node.next[0]!;
    const last = parentsOf(graph, join)[0]!;
    const inside = [...(levels.get(split) ?? []), split];
    const members = [...levels].filter(([, level]) => level.length >= inside.length && inside.every((s, i) => level[i] === s));
    const body: ForeachBody = { split, first, last, join, single: members.length === 1 && first === last };
    bodies.set(split, body);
    firstOf.set(first, body);
  }
  return { steps, levels, bodies, firstOf };
}
