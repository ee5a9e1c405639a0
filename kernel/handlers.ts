/**
 * One function per request type. Handlers only translate between Jupyter messages and
 * `NotebookSession`; sockets, busy/idle and the request queue belong to kernel.ts.
 */
// cellError from errors/, not the session: answering kernel_info must not wait for the session's
// modules (the TypeScript compiler among them), which cli/kernel.ts loads after the sockets are up.
import { type CellError, cellError } from "../errors/index.js";
import type { ExecuteOutcome, NotebookSession } from "../runtime/session/index.js";
import { codePointToUtf16, utf16ToCodePoint } from "./cursor.js";
import { type HistoryQuery, type HistoryRow, queryHistory } from "./history.js";
import { iopubSink, silentSink } from "./iopub-sink.js";
import { PROTOCOL_VERSION, type JupyterMessage } from "./wire.js";

export type ReplyChannel = "shell" | "control";

export interface KernelIdentity {
  implementationVersion: string;
  languageVersion: string;
}

/** What kernel.ts gives the handlers. */
export interface HandlerContext {
  readonly identity: KernelIdentity;
  session(): Promise<NotebookSession>;
  executionCount: number;
  reply(req: JupyterMessage, channel: ReplyChannel, content: Record<string, unknown>, metadata?: Record<string, unknown>): void;
  publish(parent: JupyterMessage | null, msgType: string, content: Record<string, unknown>, metadata?: Record<string, unknown>): void;
  /** Sends input_request on stdin to the client that sent `req`; resolves with its input_reply. */
  askInput(req: JupyterMessage, prompt: string, password: boolean): Promise<string>;
  log(line: string): void;
}

export interface HandlerResult {
  /** stop_on_error: abort the execute_requests already queued. */
  abortQueued?: boolean;
}

// biome-ignore lint/suspicious/noConfusingVoidType: most handlers reply and resolve to nothing
export type Handler = (ctx: HandlerContext, req: JupyterMessage, channel: ReplyChannel) => Promise<HandlerResult | void>;

const str = (v: unknown, fallback = ""): string => (typeof v === "string" ? v : fallback);
const int = (v: unknown, fallback: number): number => (typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : fallback);

function errorContent(e: CellError): Record<string, unknown> {
  return { ename: e.ename, evalue: e.evalue, traceback: e.traceback };
}

async function evaluateUserExpressions(session: NotebookSession, exprs: Record<string, unknown>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [name, expr] of Object.entries(exprs)) {
    if (typeof expr !== "string") continue;
    try {
      // A skip cell: reads artifacts, creates no step, so the expression cannot change the flow.
      const r = await session.execute(expr, { sink: silentSink, tags: ["skip"], silent: true });
      out[name] =
        r.status === "ok"
          ? { status: "ok", data: r.result ?? { "text/plain": "undefined" }, metadata: {} }
          : { status: "error", ...errorContent(r.error ?? cellError(new Error("aborted"))) };
    } catch (e) {
      out[name] = { status: "error", ...errorContent(cellError(e)) };
    }
  }
  return out;
}

const execute: Handler = async (ctx, req, channel) => {
  const c = req.content;
  const code = str(c.code);
  const silent = c.silent === true;
  const storeHistory = silent ? false : c.store_history !== false;
  const stopOnError = c.stop_on_error !== false;
  const allowStdin = c.allow_stdin === true;
  if (storeHistory) ctx.executionCount += 1;
  const count = ctx.executionCount;
  if (!silent) ctx.publish(req, "execute_input", { code, execution_count: count });

  const meta = req.metadata;
  const tags = Array.isArray(meta.tags) ? meta.tags.filter((t): t is string => typeof t === "string") : undefined;
  const cellId = str(meta.cellId ?? meta.cell_id) || undefined;
  // JupyterLab lists the cells deleted since its last request: their steps leave the graph.
  const deletedCells = Array.isArray(meta.deletedCells) ? meta.deletedCells.filter((d): d is string => typeof d === "string") : [];
  const started = new Date().toISOString();
  let outcome: ExecuteOutcome;
  let session: NotebookSession | undefined;
  const sink = silent ? undefined : iopubSink(ctx, req, allowStdin);
  try {
    session = await ctx.session();
    outcome = await session.execute(code, {
      sink: sink ?? silentSink,
      ...(tags ? { tags } : {}),
      ...(cellId ? { cellId } : {}),
      ...(deletedCells.length ? { deletedCells } : {}),
      executionCount: count,
      silent,
      storeHistory,
    });
  } catch (e) {
    outcome = { status: "error", error: cellError(e) };
  }
  sink?.finish();

  const metadata: Record<string, unknown> = { started, status: outcome.status === "ok" ? "ok" : "error" };
  if (outcome.step !== undefined) metadata.steplab = { step: outcome.step, task: outcome.taskPathspec };

  if (outcome.status !== "ok") {
    // An interrupted cell is an error to the client, as KeyboardInterrupt is for ipykernel.
    const error = outcome.error ?? { ename: "Interrupted", evalue: "The cell was interrupted", traceback: [] };
    ctx.publish(req, "error", errorContent(error));
    ctx.reply(req, channel, { status: "error", execution_count: count, ...errorContent(error) }, metadata);
    return { abortQueued: stopOnError };
  }
  if (outcome.result && !silent) {
    ctx.publish(req, "execute_result", { execution_count: count, data: outcome.result, metadata: {} });
  }
  const exprs = c.user_expressions;
  const userExpressions =
    session && exprs && typeof exprs === "object" && !Array.isArray(exprs)
      ? await evaluateUserExpressions(session, exprs as Record<string, unknown>)
      : {};
  ctx.reply(req, channel, { status: "ok", execution_count: count, payload: [], user_expressions: userExpressions }, metadata);
  return {};
};

const kernelInfo: Handler = async (ctx, req, channel) => {
  ctx.reply(req, channel, {
    status: "ok",
    protocol_version: PROTOCOL_VERSION,
    implementation: "steplab",
    implementation_version: ctx.identity.implementationVersion,
    language_info: {
      name: "typescript",
      version: ctx.identity.languageVersion,
      mimetype: "text/x.typescript",
      file_extension: ".ts",
      pygments_lexer: "typescript",
      codemirror_mode: { name: "javascript", typescript: true },
    },
    banner:
      `steplab ${ctx.identity.implementationVersion} (TypeScript ${ctx.identity.languageVersion})\n` +
      "Each cell runs as a step of a flow: //% step NAME, //% prev A, //% foreach X, //% setup, //% skip.",
    help_links: [
      { text: "steplab", url: "https://github.com/steplab/steplab#readme" },
      { text: "TypeScript", url: "https://www.typescriptlang.org/docs/" },
      { text: "Metaflow concepts", url: "https://docs.metaflow.org/" },
    ],
    debugger: false,
    supported_features: ["iopub_welcome"],
  });
};

const complete: Handler = async (ctx, req, channel) => {
  const code = str(req.content.code);
  const cursorCp = int(req.content.cursor_pos, [...code].length);
  const cursor = codePointToUtf16(code, cursorCp);
  try {
    const r = (await ctx.session()).complete(code, cursor);
    ctx.reply(req, channel, {
      status: "ok",
      matches: r.matches,
      cursor_start: utf16ToCodePoint(code, r.cursorStart),
      cursor_end: utf16ToCodePoint(code, r.cursorEnd),
      metadata: r.metadata ?? {},
    });
  } catch (e) {
    ctx.log(`steplab kernel: completion failed: ${(e as Error).message}`);
    ctx.reply(req, channel, { status: "ok", matches: [], cursor_start: cursorCp, cursor_end: cursorCp, metadata: {} });
  }
};

const inspect: Handler = async (ctx, req, channel) => {
  const code = str(req.content.code);
  const cursor = codePointToUtf16(code, int(req.content.cursor_pos, [...code].length));
  const detail = req.content.detail_level === 1 ? 1 : 0;
  try {
    const r = (await ctx.session()).inspect(code, cursor, detail);
    ctx.reply(req, channel, { status: "ok", found: r.found, data: r.found ? r.data : {}, metadata: {} });
  } catch (e) {
    ctx.reply(req, channel, { status: "error", ...errorContent(cellError(e)) });
  }
};

const isComplete: Handler = async (ctx, req, channel) => {
  try {
    const r = (await ctx.session()).isComplete(str(req.content.code));
    ctx.reply(req, channel, r.status === "incomplete" ? { status: r.status, indent: r.indent ?? "" } : { status: r.status });
  } catch (e) {
    ctx.log(`steplab kernel: is_complete failed: ${(e as Error).message}`);
    ctx.reply(req, channel, { status: "unknown" });
  }
};

const history: Handler = async (ctx, req, channel) => {
  const c = req.content as HistoryQuery & { output?: boolean };
  let entries: HistoryRow[];
  try {
    entries = queryHistory((await ctx.session()).history, c);
  } catch (e) {
    ctx.log(`steplab kernel: history_request failed: ${(e as Error).message}`);
    entries = [];
  }
  // Outputs are not kept: with output=true each input pairs with null, as IPython does for none.
  const rows = entries.map((e) => (c.output ? [e.session, e.line, [e.input, null]] : [e.session, e.line, e.input]));
  ctx.reply(req, channel, { status: "ok", history: rows });
};

const commInfo: Handler = async (ctx, req, channel) => {
  ctx.reply(req, channel, { status: "ok", comms: {} });
};

/** No comm targets exist: like ipykernel, an open to an unknown target is closed right away. */
const commOpen: Handler = async (ctx, req) => {
  const id = str(req.content.comm_id);
  ctx.log(`steplab kernel: no comm target ${JSON.stringify(req.content.target_name)}; closing comm ${id}`);
  ctx.publish(req, "comm_close", { comm_id: id, data: {} });
};

const ignore: Handler = async () => {};

export const shellHandlers: Readonly<Record<string, Handler>> = {
  execute_request: execute,
  kernel_info_request: kernelInfo,
  complete_request: complete,
  inspect_request: inspect,
  is_complete_request: isComplete,
  history_request: history,
  comm_info_request: commInfo,
  comm_open: commOpen,
  comm_msg: ignore,
  comm_close: ignore,
};

/** The reply type for a request type (`execute_request` -> `execute_reply`). */
export function replyType(msgType: string): string {
  return msgType.replace(/_request$/, "_reply");
}
