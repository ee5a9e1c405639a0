/** `steplab FLOW.ts show`: Metaflow's `show` — each step, its docstring and where it goes. It does not lint. */
import type { FlowGraph, StepNode } from "./types.js";

const INDENT = "    ";

function indented(text: string): string {
  return text
    .split("\n")
    .map((l) => (l === "" ? "" : INDENT + l))
    .join("\n");
}

/** Decorators worth showing: a bare `@step` says nothing, options do. */
function shownDecorators(step: StepNode): string[] {
  return step.decorators.map((d) => d.replace(/\s+/g, " ").trim()).filter((d) => !/^@\s*step$/.test(d));
}

export function formatShow(graph: FlowGraph): string {
  const out: string[] = [`Flow ${graph.name}`];
  if (graph.doc) out.push(indented(graph.doc));
  for (const step of graph.steps) {
    out.push("");
    out.push(...shownDecorators(step));
    out.push(`Step ${step.name}`);
    out.push(indented(step.doc ?? "?"));
    if (step.name !== "end") {
      out.push(`${INDENT}=> ${step.next.join(", ")}`);
    }
  }
  return `${out.join("\n")}\n`;
}
