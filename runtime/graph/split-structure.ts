/**
 * Which split each step sits inside, and which split each join closes. The scheduler uses
 * this to fan foreach children out and in; lint uses the same walk to report unbalanced graphs.
 */
import type { FlowGraph, LintProblem, StepNode } from "./types.js";
import { parentsOf as parentsFromNext, stepMap, topoOrder } from "./walk.js";

/** One open split around a step: the split step and the branch (first step after it) taken. */
export interface SplitFrame {
  split: string;
  branch: string;
}

export interface SplitStructure {
  /** Open splits at each step, outermost first (a join's own entry no longer has the split it closes). */
  stacks: Map<string, SplitFrame[]>;
  /** Join step -> the split step it closes. */
  joins: Map<string, string>;
  problems: LintProblem[];
}

function splits(s: StepNode): boolean {
  return s.next.length > 1 || s.foreach !== undefined;
}

function branchesOf(s: StepNode): string[] {
  return s.foreach !== undefined ? s.next.slice(0, 1) : [...new Set(s.next)];
}

const list = (names: string[]): string => names.join(", ");

/** Walks the steps reachable from start (acyclic part only) and checks split/join balance. */
export function analyzeSplits(graph: FlowGraph): SplitStructure {
  const steps = stepMap(graph);
  const stacks = new Map<string, SplitFrame[]>();
  const joins = new Map<string, string>();
  const problems: LintProblem[] = [];
  const problem = (rule: string, line: number, message: string): void => {
    problems.push({ rule, line, message });
  };
  const stackInto = (parent: StepNode, child: string): SplitFrame[] => {
    const base = stacks.get(parent.name) ?? [];
    return splits(parent) ? [...base, { split: parent.name, branch: child }] : base;
  };

  for (const node of topoOrder(graph)) {
    const parents = parentsFromNext(graph, node.name)
      .map((p) => steps.get(p)!)
      .filter((p) => stacks.has(p.name));
    if (parents.length === 0) {
      stacks.set(node.name, []);
      continue;
    }
    const incoming = parents.map((p) => stackInto(p, node.name));
    if (!node.isJoin) {
      if (parents.length > 1) {
        problem(
          "join-needs-inputs",
          node.line,
          node.name === "end"
            ? `step end is reached from ${list(parents.map((p) => p.name))}: end cannot join branches; ` +
                `add a join step that takes \`inputs\`, send these steps to it, and go from it to end.`
            : `step ${node.name} is reached from ${list(parents.map((p) => p.name))}, so it joins branches, but it takes no ` +
                `\`inputs\`: declare it as \`${node.name}(inputs: Inputs<${graph.name}>)\`.`,
        );
      }
      const stack = incoming[0]!;
      stacks.set(node.name, stack);
      if (node.name === "end") {
        parents.forEach((p, i) => {
          const top = incoming[i]!.at(-1);
          if (!top) return;
          const split = steps.get(top.split)!;
          problem(
            "end-before-join",
            p.line,
            `step ${p.name} goes to end while the split at ${split.name} (branches ${list(branchesOf(split))}) is not joined: ` +
              `add a join step that takes \`inputs\`, send the branches to it, and go from the join to end.`,
          );
        });
      }
      continue;
    }

    // A join: every incoming path must carry a frame of the same split.
    const tops = incoming.map((s) => s.at(-1));
    const rest = incoming[0]!.slice(0, -1);
    stacks.set(node.name, rest);
    if (tops.some((t) => t === undefined)) {
      problem(
        "join-without-split",
        node.line,
        `step ${node.name} takes \`inputs\`, so it is a join, but it does not follow a split: remove the \`inputs\` ` +
          `parameter, or split before it (this.next(this.a, this.b) or this.next(this.a, { foreach: "items" })).`,
      );
      continue;
    }
    const frames = tops as SplitFrame[];
    const splitNames = [...new Set(frames.map((f) => f.split))];
    if (splitNames.length > 1) {
      const from = frames.map((f, i) => `${parents[i]!.name} (split at ${f.split})`);
      problem(
        "join-unrelated-splits",
        node.line,
        `step ${node.name} joins branches of different splits: ${list(from)}. A join must close the branches of ` +
          `exactly one split: join the inner split's branches in their own join step first.`,
      );
      continue;
    }
    const split = steps.get(splitNames[0]!)!;
    joins.set(node.name, split.name);
    if (frames.some((f) => f.branch === node.name)) {
      problem(
        "empty-branch",
        split.line,
        split.foreach !== undefined
          ? `foreach step ${split.name} goes straight into the join ${node.name}: add a step between them that runs ` +
              `once per item (it reads this.input), e.g. this.next(this.process, { foreach: "${split.foreach}" }), ` +
              `and go from it to ${node.name}.`
          : `split step ${split.name} goes straight into the join ${node.name}: every branch needs at least one step; ` +
              `add a step for that branch and go from it to ${node.name}.`,
      );
      continue;
    }
    const expected = branchesOf(split);
    const got = frames.map((f) => f.branch);
    const missing = expected.filter((b) => !got.includes(b));
    if (missing.length > 0 || got.length !== expected.length) {
      problem(
        "join-branch-mismatch",
        node.line,
        `step ${node.name} joins ${list(parents.map((p) => p.name))}, but the split at ${split.name} has ` +
          `${expected.length} branch${expected.length === 1 ? "" : "es"} (${list(expected)})` +
          (missing.length ? `: branch ${list(missing)} must also lead to ${node.name}.` : `: each branch must reach it once.`),
      );
    }
  }
  return { stacks, joins, problems };
}

/** Each join step -> the split step it closes (for a valid graph: every join). */
export function splitParents(graph: FlowGraph): Map<string, string> {
  return analyzeSplits(graph).joins;
}

/** Each step -> the split steps it runs inside, outermost first (foreach nesting for the scheduler). */
export function splitStacks(graph: FlowGraph): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, stack] of analyzeSplits(graph).stacks)
    out.set(
      name,
      stack.map((f) => f.split),
    );
  return out;
}

/** Steps with a transition into `step`, in source order. */
export function parentsOf(graph: FlowGraph, step: string): string[] {
  return parentsFromNext(graph, step);
}
