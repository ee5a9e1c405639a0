/**
 * The local card viewer (`steplab cards`): an HTTP server on 127.0.0.1 with an index of recent runs
 * and each task's card. Pages of running tasks and runs reload themselves every few seconds, so a
 * card follows its task while it runs (its running record carries what it has shown and printed).
 */
import { statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { NotFoundError } from "../../errors/index.js";
import type { RunRecord, StoreReader, TaskRecord } from "../../store/index.js";
import type { FlowGraph } from "../graph/index.js";
import { cardPage } from "./card.js";
import { CARD_CSS } from "./card-css.js";
import { escapeHtml, formatDuration, formatTime } from "./html.js";

export interface CardServerOptions {
  reader: StoreReader;
  /** 0 picks a free port. */
  port: number;
  /** Runs on the index page. */
  recentRuns?: number;
  refreshSeconds?: number;
}

export interface CardServer {
  url: string;
  close(): Promise<void>;
}

const TASKS_LISTED = 60;

/** The flow file's graph when the run names one that is still there (cached by modification time). */
function graphLoader(parseFlowFile: (file: string) => FlowGraph): (run: RunRecord) => FlowGraph | undefined {
  const cache = new Map<string, { mtime: number; graph?: FlowGraph }>();
  return (run) => {
    const file = run.source;
    if (!file || !/\.(m?ts|tsx)$/.test(file)) return undefined;
    try {
      const mtime = statSync(file).mtimeMs;
      const hit = cache.get(file);
      if (hit?.mtime === mtime) return hit.graph;
      let graph: FlowGraph | undefined;
      try {
        graph = parseFlowFile(file);
        if (graph.name !== run.flow) graph = undefined;
      } catch {
        graph = undefined; // the file no longer parses: the tasks still tell the DAG
      }
      cache.set(file, { mtime, graph });
      return graph;
    } catch {
      return undefined;
    }
  };
}

function page(title: string, body: string, refreshSeconds?: number): string {
  const refresh = refreshSeconds ? `<meta http-equiv="refresh" content="${refreshSeconds}">` : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">${refresh}<title>${escapeHtml(title)}</title></head>
<body><div class="steplab-card"><style>${CARD_CSS}
.steplab-card .run { margin: 14px 0 18px; } .steplab-card .tasks a { margin-right: 6px; } .steplab-card ul { margin: 4px 0; padding-left: 18px; }
</style>${body}</div></body></html>
`;
}

function taskLink(t: TaskRecord): string {
  const href = `/card/${[t.flow, t.runId, t.step, t.taskId].map(encodeURIComponent).join("/")}`;
  return `<a class="task status-${t.status}" href="${href}" title="${t.status}">${escapeHtml(t.taskId)}</a>`;
}

function runHtml(reader: StoreReader, run: RunRecord): string {
  const tasks = reader.listRunTasks(run.flow, run.runId);
  const steps = reader.listSteps(run.flow, run.runId).map((step) => {
    const own = tasks.filter((t) => t.step === step);
    const listed = own.slice(0, TASKS_LISTED).map(taskLink).join("");
    const more = own.length > TASKS_LISTED ? ` <span class="muted">… ${own.length - TASKS_LISTED} more</span>` : "";
    return `<li><b>${escapeHtml(step)}</b> <span class="tasks">${listed}</span>${more}</li>`;
  });
  const facts = [
    `<span class="status status-${run.status}">${run.status}</span>`,
    formatTime(run.createdAt),
    run.finishedAt !== undefined ? formatDuration(run.createdAt, run.finishedAt) : "",
    run.tags.length ? escapeHtml(run.tags.join(", ")) : "",
  ].filter(Boolean);
  return `<section class="run"><h2>${escapeHtml(run.flow)} <span class="muted">/ ${escapeHtml(run.runId)}</span></h2><p class="facts">${facts.join(" · ")}</p><ul>${steps.join("")}</ul></section>`;
}

function indexPage(reader: StoreReader, limit: number, refreshSeconds: number): string {
  const runs = reader
    .listFlows()
    .flatMap((f) => reader.listRuns(f))
    .sort((a, b) => b.createdAt - a.createdAt)
    .slice(0, limit);
  const body = runs.length
    ? runs.map((r) => runHtml(reader, r)).join("\n")
    : '<p class="muted">No runs in this datastore yet: run a flow, and its cards appear here.</p>';
  const running = runs.some((r) => r.status === "running");
  return page(
    "steplab cards",
    `<header><h1>steplab cards</h1><p class="facts">recent runs, newest first; a task id opens its card</p></header>${body}`,
    running ? refreshSeconds : undefined,
  );
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  res.end(html);
}

export async function startCardServer(options: CardServerOptions): Promise<CardServer> {
  const { reader } = options;
  const refreshSeconds = options.refreshSeconds ?? 2;
  // The TypeScript parser behind it loads with the server, not with every user of runtime/cards.
  const { parseFlowFile } = await import("../graph/index.js");
  const graphOf = graphLoader(parseFlowFile);
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    try {
      if (url.pathname === "/") return send(res, 200, indexPage(reader, options.recentRuns ?? 20, refreshSeconds));
      const card = /^\/card\/([^/]+)\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (card) {
        const [flow, runId, step, taskId] = card.slice(1).map(decodeURIComponent) as [string, string, string, string];
        const run = reader.getRun(flow, runId);
        const graph = run ? graphOf(run) : undefined;
        return send(res, 200, cardPage(reader, { flow, runId, step, taskId }, { refreshSeconds, ...(graph ? { graph } : {}) }));
      }
      send(
        res,
        404,
        page("not found", `<h1>Not found</h1><p>${escapeHtml(url.pathname)} is not a page here. <a href="/">Recent runs</a></p>`),
      );
    } catch (err) {
      const status = err instanceof NotFoundError ? 404 : 500;
      send(
        res,
        status,
        page(
          "error",
          `<h1>${status === 404 ? "Not found" : "Error"}</h1><pre>${escapeHtml((err as Error).message)}</pre><p><a href="/">Recent runs</a></p>`,
        ),
      );
    }
  };
  const server = createServer(handle);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
