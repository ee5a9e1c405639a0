/**
 * A task's card: one self-contained HTML page (no script, no outside resource) with the task's
 * state, the DAG with its step marked, what it displayed, its artifacts and its logs. The same
 * markup is a fragment for Jupyter (`%card`), its styles scoped to `.steplab-card`.
 */
import { NotFoundError } from "../../errors/index.js";
import { runPathspec, taskPathspec, type StoreReader, type TaskPlace, type TaskRecord } from "../../store/index.js";
import type { ShownDisplay } from "../display/index.js";
import type { FlowGraph } from "../graph/index.js";
import { artifactHtml } from "./artifact-view.js";
import { CARD_CSS } from "./card-css.js";
import { dagSvg } from "./dag.js";
import { displayHtml } from "./display-html.js";
import { runDag } from "./graphs.js";
import { escapeHtml, formatDuration, formatTime } from "./html.js";

export interface CardOptions {
  /** The flow's static graph, for a DAG with the steps not reached too. */
  graph?: FlowGraph;
  /** A page that reloads itself this often while the task runs (the card viewer). */
  refreshSeconds?: number;
}

/** Logs longer than this show their end only. */
const LOG_CHARS = 200_000;

export function findTask(reader: StoreReader, place: TaskPlace): TaskRecord {
  const task = reader.getTask(place.flow, place.runId, place.step, place.taskId);
  if (task) return task;
  if (!reader.getRun(place.flow, place.runId)) throw new NotFoundError(`Run ${runPathspec(place)} does not exist.`);
  const tasks = reader.listTasks(place.flow, place.runId, place.step).map((t) => t.taskId);
  throw new NotFoundError(
    tasks.length
      ? `Task ${taskPathspec(place)} was not found. Tasks of this step: ${tasks.slice(0, 10).join(", ")}${tasks.length > 10 ? ", …" : ""}.`
      : `Step ${place.flow}/${place.runId}/${place.step} has no tasks. Steps of this run: ${reader.listSteps(place.flow, place.runId).join(", ")}.`,
  );
}

function logHtml(name: string, text: string): string {
  if (text === "") return `<details class="log"><summary>${name} <span class="muted">(empty)</span></summary></details>`;
  const shown = text.length > LOG_CHARS ? `… (${text.length - LOG_CHARS} earlier characters not shown)\n${text.slice(-LOG_CHARS)}` : text;
  const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  return `<details class="log ${name}" open><summary>${name} <span class="muted">(${lines} line${lines === 1 ? "" : "s"})</span></summary><pre>${escapeHtml(shown)}</pre></details>`;
}

function header(task: TaskRecord): string {
  const facts = [
    `<span class="status status-${task.status}">${task.status}</span>`,
    task.attempt > 0 ? `attempt ${task.attempt + 1}` : "",
    `started ${formatTime(task.startedAt)}`,
    task.finishedAt !== undefined ? `took ${formatDuration(task.startedAt, task.finishedAt)}` : "running",
    task.stack.at(-1)?.kind === "foreach" ? `foreach item ${task.stack.at(-1)!.index + 1} of ${task.stack.at(-1)!.count}` : "",
    task.reusedFrom ? `reused the results of ${escapeHtml(task.reusedFrom)}` : "",
    task.originPathspec ? `cloned from ${escapeHtml(task.originPathspec)}` : "",
  ].filter(Boolean);
  return `<header><h1>${escapeHtml(task.flow)} <span class="muted">/ ${escapeHtml(task.runId)} /</span> ${escapeHtml(task.step)} <span class="muted">/ ${escapeHtml(task.taskId)}</span></h1><p class="facts">${facts.join(" · ")}</p></header>`;
}

function errorHtml(task: TaskRecord): string {
  if (!task.error) return "";
  const e = task.error;
  return `<section class="error"><h2>Error</h2><pre>${escapeHtml(e.stack ?? `${e.name}: ${e.message}`)}</pre></section>`;
}

/** The card's markup, for a page or a notebook output. */
export function cardFragment(reader: StoreReader, place: TaskPlace, options: CardOptions = {}): string {
  return fragmentOf(reader, findTask(reader, place), options);
}

function fragmentOf(reader: StoreReader, task: TaskRecord, options: CardOptions): string {
  const displays = task.displays ? (reader.loadBlob(task.displays.sha) as ShownDisplay[]) : [];
  const logs = reader.getLogs(task.flow, task.runId, task.step, task.taskId) ?? { stdout: "", stderr: "" };
  const dag = dagSvg(runDag(reader, task.flow, task.runId, options.graph), { marked: task.step });
  const artifacts = Object.entries(task.artifacts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, ref]) => artifactHtml({ name, ref, load: () => reader.loadBlob(ref.sha) }));
  const sections = [
    header(task),
    errorHtml(task),
    `<section class="dag"><h2>Flow</h2>${dag}</section>`,
    displays.length ? `<section class="displays"><h2>Displayed</h2>${displays.map(displayHtml).join("\n")}</section>` : "",
    `<section class="artifacts"><h2>Artifacts <span class="muted">(${artifacts.length})</span></h2>${artifacts.join("\n") || '<p class="muted">none</p>'}</section>`,
    `<section class="logs"><h2>Logs</h2>${logHtml("stdout", logs.stdout)}${logHtml("stderr", logs.stderr)}</section>`,
  ];
  return `<div class="steplab-card" data-pathspec="${escapeHtml(taskPathspec(task))}" data-status="${task.status}"><style>${CARD_CSS}</style>${sections.filter(Boolean).join("\n")}</div>`;
}

/** The card as a whole HTML page. */
export function cardPage(reader: StoreReader, place: TaskPlace, options: CardOptions = {}): string {
  const task = findTask(reader, place);
  const fragment = fragmentOf(reader, task, options);
  const refresh =
    task.status === "running" && options.refreshSeconds ? `<meta http-equiv="refresh" content="${options.refreshSeconds}">` : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">${refresh}
<title>${escapeHtml(taskPathspec(place))} · steplab card</title></head>
<body>${fragment}</body></html>
`;
}
