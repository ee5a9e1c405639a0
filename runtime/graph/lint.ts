/** Metaflow's graph lint, for steplab flows: every problem, each with a line and what to change. */
import { readFileSync } from "node:fs";
import { lintSource } from "./lint-source.js";
import { parseFlowSource } from "./parse.js";
import { analyzeSplits } from "./split-structure.js";
import type { FlowGraph, LintProblem, StepNode } from "./types.js";
import { findCycles, parentsOf, reachableFromStart, stepMap, topoOrder } from "./walk.js";

/** Names the flow object itself uses; a step with one of them would shadow it. */
export const RESERVED_STEP_NAMES: readonly string[] = ["name", "next", "input", "index", "cmd", "mergeArtifacts"];

export const STEP_NAME_PATTERN = /^[a-z][a-z0-9_]*$/;

/** Every rule id, in the order problems on the same line are reported. */
export const LINT_RULES = [
  "duplicate-step",
  "reserved-name",
  "step-name",
  "no-start",
  "no-end",
  "start-has-incoming",
  "start-is-join",
  "end-has-next",
  "end-is-join",
  "join-params",
  "join-and-split",
  "step-options",
  "missing-next",
  "next-twice",
  "next-not-last",
  "next-form",
  "unknown-target",
  "cycle",
  "unreachable",
  "join-needs-inputs",
  "join-without-split",
  "join-unrelated-splits",
  "join-branch-mismatch",
  "empty-branch",
  "end-before-join",
  "foreach-missing-artifact",
  "duplicate-parameter",
  "parameter-clash",
  "not-imported",
  "notebook-only",
] as const;

export type LintRule = (typeof LINT_RULES)[number];

/**
 * All problems of a graph, sorted by line. Without `source` only the rules that the graph
 * alone can answer run (a notebook's graph has no single source); with it, also where
 * `this.next` sits, its form, join parameters and `@step` options.
 */
export function lintGraph(graph: FlowGraph, source?: string): LintProblem[] {
  const problems = graphRules(graph, source === undefined ? undefined : classLine(graph, source));
  if (source !== undefined) {
    const fromSource = lintSource(source, graph.file, graph.name);
    // A malformed or misplaced call is the real problem; "missing next" would only repeat it.
    const misplaced = new Set(fromSource.filter((p) => p.rule === "next-form" || p.rule === "next-not-last").map((p) => p.line));
    problems.push(...fromSource);
    return sortProblems(problems.filter((p) => !(p.rule === "missing-next" && misplaced.has(p.line))));
  }
  return sortProblems(problems);
}

/** Parses and lints a flow file. Throws GraphError when the file cannot be read as a flow. */
export function checkFlowFile(file: string): { graph: FlowGraph; problems: LintProblem[] } {
  const source = readFileSync(file, "utf8");
  const graph = parseFlowSource(source, file);
  return { graph, problems: lintGraph(graph, source) };
}

/** `flow.ts:12: message` lines, one per problem. */
export function formatLint(problems: readonly LintProblem[], file: string): string {
  return problems.map((p) => `${file}:${p.line}: ${p.message}`).join("\n");
}

function sortProblems(problems: LintProblem[]): LintProblem[] {
  const rank = (r: string): number => {
    const i = (LINT_RULES as readonly string[]).indexOf(r);
    return i < 0 ? LINT_RULES.length : i;
  };
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const key = `${p.line}\0${p.rule}\0${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.line - b.line || rank(a.rule) - rank(b.rule) || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
}

const list = (names: readonly string[]): string => names.join(", ");

/** Line of `class X` (flow-wide problems such as a missing start point there). */
function classLine(graph: FlowGraph, source: string): number {
  const at = source.indexOf("class", graph.classStart);
  const offset = at < 0 ? graph.classStart : at;
  return source.slice(0, offset).split("\n").length;
}

function graphRules(graph: FlowGraph, flowLine = graph.steps[0]?.line ?? 1): LintProblem[] {
  const problems: LintProblem[] = [];
  const add = (rule: LintRule, line: number, message: string): void => {
    problems.push({ rule, line, message });
  };
  const steps = stepMap(graph);

  const seen = new Set<string>();
  for (const s of graph.steps) {
    if (seen.has(s.name)) add("duplicate-step", s.line, `step ${s.name} is defined twice: rename or remove one of them.`);
    seen.add(s.name);
    if (RESERVED_STEP_NAMES.includes(s.name)) {
      add(
        "reserved-name",
        s.line,
        `step name ${s.name} is reserved (${list(RESERVED_STEP_NAMES)} belong to the flow object): rename the step.`,
      );
    } else if (!STEP_NAME_PATTERN.test(s.name)) {
      add(
        "step-name",
        s.line,
        `step name ${s.name} is not valid: use lowercase letters, digits and underscores, starting with a letter (e.g. ${suggestName(s.name)}).`,
      );
    }
  }

  const start = steps.get("start");
  const end = steps.get("end");
  if (!start) add("no-start", flowLine, `flow ${graph.name} has no start step: add \`@step start() { ... this.next(this.first_step); }\`.`);
  if (!end) add("no-end", flowLine, `flow ${graph.name} has no end step: add \`@step end() {}\` and go to it from the last step.`);
  for (const p of start ? parentsOf(graph, "start") : []) {
    add(
      "start-has-incoming",
      steps.get(p)!.line,
      `step ${p} goes to start: start is the first step and cannot be a target; go to another step.`,
    );
  }
  if (start?.isJoin) {
    add(
      "start-is-join",
      start.line,
      "step start must not take `inputs`: start is the first step and has nothing to join; remove the parameter.",
    );
  }
  if (end && end.next.length > 0)
    add("end-has-next", end.line, `step end must not call this.next(...): end is the last step; remove the call.`);
  if (end?.isJoin) {
    add(
      "end-is-join",
      end.line,
      `step end must not take \`inputs\`: end is not a join; add a join step before end and remove the parameter.`,
    );
  }

  for (const s of graph.steps) {
    if (s.isJoin && s.name !== "end" && (s.next.length > 1 || s.foreach !== undefined)) {
      add(
        "join-and-split",
        s.line,
        `step ${s.name} is a join and a split at once: join in ${s.name}, then split in a new step that ${s.name} goes to.`,
      );
    }
    if (s.name !== "end" && s.next.length === 0) {
      add("missing-next", s.line, `step ${s.name} has no transition: end it with this.next(this.<step>) (only end has none).`);
    }
    if (s.foreach !== undefined && s.next.length !== 1) {
      add(
        "next-form",
        s.line,
        `a foreach in step ${s.name} goes to exactly one step, not ${s.next.length}: this.next(this.a, { foreach: "${s.foreach}" }).`,
      );
    }
    const twice = s.next.filter((t, i) => s.next.indexOf(t) !== i);
    if (twice.length > 0) {
      add("next-form", s.line, `step ${s.name} names ${list([...new Set(twice)])} twice in this.next(...): name each next step once.`);
    }
    for (const t of new Set(s.next)) {
      if (steps.has(t)) continue;
      const near = nearest(t, [...steps.keys()]);
      add(
        "unknown-target",
        s.line,
        `step ${s.name} goes to ${t}, which is not a step of ${graph.name}` +
          (near ? `: did you mean ${near}? ` : ": ") +
          `Only methods decorated with @step can be targets.`,
      );
    }
  }

  const cycles = findCycles(graph);
  for (const cycle of cycles) {
    const closing = steps.get(cycle[cycle.length - 1]!)!;
    add(
      "cycle",
      closing.line,
      `steps ${list([...cycle, cycle[0]!]).replaceAll(", ", " -> ")} form a cycle: a flow is a DAG; ` +
        `change step ${closing.name}'s this.next(...) so that it does not go back to ${cycle[0]}.`,
    );
  }
  if (start) {
    const reachable = reachableFromStart(graph);
    for (const s of graph.steps) {
      if (!reachable.has(s.name)) {
        add(
          "unreachable",
          s.line,
          `step ${s.name} is not reachable from start: go to it with this.next(this.${s.name}) from an earlier step, or remove it.`,
        );
      }
    }
  }
  // Balance and foreach checks read the whole structure: with a cycle or a missing target
  // they would only echo those problems, so they wait until the graph is a DAG of known steps.
  const unknownTarget = problems.some((p) => p.rule === "unknown-target");
  if (start && cycles.length === 0 && !unknownTarget) {
    problems.push(...analyzeSplits(graph).problems);
    foreachArtifacts(graph, add);
  }
  parameterRules(graph, add);
  return problems;
}

/** A foreach needs its list assigned on every path from start to it (or in the step itself). */
function foreachArtifacts(graph: FlowGraph, add: (rule: LintRule, line: number, message: string) => void): void {
  const params = graph.parameters.map((p) => p.name);
  const available = new Map<string, Set<string>>();
  const somewhere = new Map<string, Set<string>>();
  for (const s of topoOrder(graph)) {
    const parents = parentsOf(graph, s.name).filter((p) => available.has(p));
    let before: Set<string> | undefined;
    const any = new Set<string>();
    for (const p of parents) {
      const set = available.get(p)!;
      before = before ? new Set([...before].filter((x) => set.has(x))) : new Set(set);
      for (const x of somewhere.get(p)!) any.add(x);
    }
    const here = new Set([...(before ?? []), ...params, ...s.assigns]);
    available.set(s.name, here);
    somewhere.set(s.name, new Set([...any, ...s.assigns]));
    if (s.foreach !== undefined && !here.has(s.foreach)) {
      add(
        "foreach-missing-artifact",
        s.line,
        `step ${s.name} runs a foreach over ${s.foreach}, but ` +
          (any.has(s.foreach)
            ? `this.${s.foreach} is not assigned on every path from start to it`
            : `no step before it assigns this.${s.foreach}`) +
          `: assign this.${s.foreach} = [...] in ${s.name} or in every step leading to it.`,
      );
    }
  }
}

function parameterRules(graph: FlowGraph, add: (rule: LintRule, line: number, message: string) => void): void {
  const names = new Map<string, number>();
  for (const p of graph.parameters) {
    const first = names.get(p.name);
    if (first !== undefined) {
      add(
        "duplicate-parameter",
        p.line,
        `parameter ${p.name} is declared twice (also at line ${first}): give each parameter its own name.`,
      );
    } else {
      names.set(p.name, p.line);
    }
    const step = graph.steps.find((s: StepNode) => s.name === p.name || s.name === p.field);
    if (step) {
      add(
        "parameter-clash",
        p.line,
        `parameter ${p.name} (field ${p.field}) has the name of step ${step.name}: rename the parameter or the step.`,
      );
    }
  }
}

function suggestName(name: string): string {
  const snake = name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_")
    .replace(/^[^a-z]+/, "");
  return snake === "" ? "my_step" : snake;
}

/** The closest step name within a small edit distance, for "did you mean". */
function nearest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length]!;
}
