/**
 * The magics that draw: `%dag` as an SVG picture of the notebook's steps, each in its state
 * (fresh, stale, failed, reused, not run yet), and `%card [PATHSPEC]`, a task's card inline.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { UsageError } from "../../errors/index.js";
import { taskPathspec, type StoreReader, type TaskPlace, type TaskRecord } from "../../store/index.js";
import { cardFragment, cardPage, dagSvg, findTask, isReused, type Dag, type StepState } from "../cards/index.js";
import type { MimeBundle, SessionState } from "./types.js";

/** What the %dag and %card magics read of a session. */
export interface PictureSource {
  readonly state: SessionState;
  readonly storeReader: StoreReader;
}

function numeric(id: string): number {
  return Number.isFinite(Number(id)) ? Number(id) : Number.NaN;
}

function notebookState(step: SessionState["steps"][number], stored: TaskRecord[]): StepState {
  const shown = new Set(step.taskId?.split(",") ?? []);
  const newestShown = Math.max(-1, ...[...shown].map(numeric));
  // A cell that failed after its step last succeeded: the failure is the news.
  if (stored.some((t) => t.status === "failed" && numeric(t.taskId) > newestShown)) return "failed";
  if (step.stale) return "stale";
  if (shown.size === 0) return "pending";
  const latest = stored.filter((t) => shown.has(t.taskId));
  return latest.length > 0 && latest.every(isReused) ? "reused" : "fresh";
}

/** The notebook's steps as a DAG, each step in its state. */
export function notebookDag(source: PictureSource): Dag {
  const { state, storeReader } = source;
  const nodes = state.steps.map((s) => {
    const stored = state.runId ? storeReader.listTasks(state.flow, state.runId, s.name) : [];
    const stepState = notebookState(s, stored);
    const tasks = s.taskId?.split(",").length ?? 0;
    const detail = stepState === "pending" ? "not run" : tasks > 1 ? `${stepState} · ${tasks} tasks` : stepState;
    return { name: s.name, state: stepState, detail };
  });
  const edges = state.steps.flatMap((s) => s.parents.map((p) => ({ from: p, to: s.name, ...(s.foreach ? { foreach: s.foreach } : {}) })));
  return { nodes, edges };
}

export function dagPicture(source: PictureSource): string {
  const { state } = source;
  return dagSvg(notebookDag(source), { title: `${state.flow}${state.runId ? ` (run ${state.runId})` : ""}` });
}

/**
 * The DAG's bundle: its text, the SVG, and the SVG inline in HTML, which JupyterLab and
 * nbconvert's HTML export both show as it is (the nbconvert Debian ships strips inline SVG outputs).
 */
export function dagBundle(text: string, svg: string): MimeBundle {
  return { "text/plain": text, "image/svg+xml": svg, "text/html": `<div class="steplab-dag-output">${svg}</div>` };
}

/** `%card` names a task: Flow/run/step/task, a step of this notebook (its latest task), or nothing (the step run last). */
function placeOf(source: PictureSource, args: string): TaskPlace {
  const { state } = source;
  const parts = args.split("/").filter(Boolean);
  if (parts.length === 4) return { flow: parts[0]!, runId: parts[1]!, step: parts[2]!, taskId: parts[3]! };
  const step = parts.length === 1 ? parts[0]! : parts.length === 0 ? state.currentStep : undefined;
  if (step === undefined || parts.length > 1)
    throw new UsageError(
      "%card takes a task: %card Flow/run/step/task, %card STEP (its latest task in this notebook), or %card alone (the step run last)",
    );
  const taskId = state.steps
    .find((s) => s.name === step)
    ?.taskId?.split(",")
    .at(-1);
  if (!state.runId || !taskId)
    throw new UsageError(`Step ${step} has not run in this notebook: run its cell first, or name a task as Flow/run/step/task`);
  return { flow: state.flow, runId: state.runId, step, taskId };
}

export function cardBundle(source: PictureSource, args: string): MimeBundle {
  const place = placeOf(source, args.trim());
  const reader = source.storeReader;
  const task = findTask(reader, place);
  // Also as a page on disk: the terminal REPL cannot show HTML, a browser can.
  const dir = path.join(os.tmpdir(), "steplab-cards");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${[task.flow, task.runId, task.step, task.taskId].join("_")}.html`);
  writeFileSync(file, cardPage(reader, place));
  const artifacts = Object.keys(task.artifacts).length;
  return {
    "text/plain": `Card of ${taskPathspec(task)} (${task.status}, ${artifacts} artifact${artifacts === 1 ? "" : "s"}): ${file}`,
    "text/html": cardFragment(reader, place),
  };
}
