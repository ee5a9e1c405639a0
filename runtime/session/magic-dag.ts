/**
 * `%dag`: the steps the cells declare, their cells, and where each stands — as text, and as an SVG
 * picture (laid out by runtime/cards) with each step in its state: fresh, stale, failed, reused,
 * not run yet.
 */
import type { StoreReader, TaskRecord } from "../../store/index.js";
import { dagSvg, isReused, type Dag, type StepState } from "../cards/index.js";
import type { MimeBundle, SessionState } from "./types.js";
import type { Magic, MagicContext } from "./magic.js";

function dagText(state: SessionState): string {
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

function stepState(step: SessionState["steps"][number], stored: TaskRecord[]): StepState {
  if (step.failed) return "failed";
  if (step.stale) return "stale";
  const newest = new Set(step.taskId?.split(",") ?? []);
  if (newest.size === 0) return "pending";
  const tasks = stored.filter((t) => newest.has(t.taskId));
  return tasks.length > 0 && tasks.every(isReused) ? "reused" : "fresh";
}

/** The notebook's steps as a DAG, each step in its state. */
export function notebookDag(state: SessionState, reader: StoreReader): Dag {
  const nodes = state.steps.map((s) => {
    const stored = state.runId ? reader.listTasks(state.flow, state.runId, s.name) : [];
    const stepAt = stepState(s, stored);
    const tasks = s.taskId?.split(",").length ?? 0;
    const detail = stepAt === "pending" ? "not run" : tasks > 1 ? `${stepAt} · ${tasks} tasks` : stepAt;
    return { name: s.name, state: stepAt, detail };
  });
  const edges = state.steps.flatMap((s) => s.parents.map((p) => ({ from: p, to: s.name, ...(s.foreach ? { foreach: s.foreach } : {}) })));
  return { nodes, edges };
}

/**
 * The DAG's bundle: its text, the SVG, and the SVG inline in HTML, which JupyterLab and
 * nbconvert's HTML export both show as it is (the nbconvert Debian ships strips inline SVG outputs).
 */
function dagBundle(ctx: MagicContext): MimeBundle {
  const { state } = ctx;
  const svg = dagSvg(notebookDag(state, ctx.storeReader), { title: `${state.flow}${state.runId ? ` (run ${state.runId})` : ""}` });
  return { "text/plain": dagText(state), "image/svg+xml": svg, "text/html": `<div class="steplab-dag-output">${svg}</div>` };
}

export const dagMagic: Magic = {
  name: "dag",
  usage: "%dag",
  run: async (ctx) => ({ status: "ok", result: dagBundle(ctx) }),
};
