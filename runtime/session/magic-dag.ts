import type { SessionState } from "./types.js";
import { type Magic, ok } from "./magic.js";

function dag(state: SessionState): string {
  if (state.steps.length === 0) return `${state.flow}: no steps yet. A code cell becomes a step; name it with //% step NAME.`;
  const lines = [`${state.flow}${state.runId ? ` (run ${state.runId})` : ""}`];
  const children = new Map<string, string[]>();
  for (const s of state.steps) for (const p of s.parents) children.set(p, [...(children.get(p) ?? []), s.name]);
  for (const s of state.steps) {
    const status = s.failed ? "failed" : s.stale ? "stale" : s.taskId ? `task ${s.taskId}` : "not run";
    const next = children.get(s.name) ?? [];
    const foreach = state.steps.find((c) => c.parents.includes(s.name) && c.foreach)?.foreach;
    const arrow = next.length ? ` => ${next.join(", ")}${foreach ? ` (foreach ${foreach})` : ""}` : "";
    lines.push(`  ${s.name} [${status}]${arrow}${s.cell ? ` — ${s.cell}` : ""}`);
  }
  return lines.join("\n");
}

/** `%dag`: the steps the cells declare, their cells, and where each stands. */
export const dagMagic: Magic = {
  name: "dag",
  usage: "%dag",
  run: async (ctx) => ok(dag(ctx.state)),
};
