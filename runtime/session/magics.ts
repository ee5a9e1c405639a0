/**
 * The session's magics: %flow, %dag, %stale, %rerun, %runs, %export, %card. (%save, %run, %runall and
 * %explore belong to the REPL, which handles them before a cell reaches the session.)
 */
import { UsageError } from "../../errors/index.js";
import { runPathspec } from "../../store/index.js";
import { tableBundle } from "./display.js";
import { cardBundle, dagBundle, dagPicture } from "./picture-magics.js";
import type { Session } from "./session.js";
import type { ExecuteOptions, ExecuteOutcome, MimeBundle } from "./types.js";

export const MAGICS = ["%flow NAME", "%dag", "%stale", "%rerun", "%runs [FLOW]", "%export FLOW.ts", "%card [PATHSPEC]"];

function text(t: string): MimeBundle {
  return { "text/plain": t };
}

function dag(session: Session): string {
  const state = session.state;
  if (state.steps.length === 0) return `${state.flow}: no steps yet. A code cell becomes a step; name it with //% step NAME.`;
  const lines = [`${state.flow}${state.runId ? ` (run ${state.runId})` : ""}`];
  const children = new Map<string, string[]>();
  for (const s of state.steps) for (const p of s.parents) children.set(p, [...(children.get(p) ?? []), s.name]);
  for (const s of state.steps) {
    const status = s.stale ? "stale" : s.taskId ? `task ${s.taskId}` : "not run";
    const next = children.get(s.name) ?? [];
    const foreach = state.steps.find((c) => c.parents.includes(s.name) && c.foreach)?.foreach;
    const arrow = next.length ? ` => ${next.join(", ")}${foreach ? ` (foreach ${foreach})` : ""}` : "";
    lines.push(`  ${s.name} [${status}]${arrow}`);
  }
  return lines.join("\n");
}

function durationOf(created: number, finished?: number): string {
  if (finished === undefined) return "running";
  const ms = finished - created;
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}

export async function runMagic(session: Session, magic: { name: string; args: string }, opts: ExecuteOptions): Promise<ExecuteOutcome> {
  const args = magic.args.trim();
  switch (magic.name) {
    case "flow":
      if (!/^[A-Za-z_$][\w$]*$/.test(args)) throw new UsageError("%flow takes a class name, e.g. %flow WordScoresFlow");
      session.setFlowName(args);
      return { status: "ok", result: text(`Flow ${args}: the next step cell starts a new run of it.`) };
    case "dag":
      return { status: "ok", result: dagBundle(dag(session), dagPicture(session)) };
    case "card":
      return { status: "ok", result: cardBundle(session, args) };
    case "stale": {
      const stale = session.staleSteps();
      return {
        status: "ok",
        result: text(stale.length ? `Stale steps: ${stale.join(", ")} (re-run them with %rerun)` : "No stale steps."),
      };
    }
    case "rerun": {
      const stale = session.staleSteps();
      if (stale.length === 0) return { status: "ok", result: text("No stale steps.") };
      const done = await session.rerunStale(opts.sink);
      const left = session.staleSteps();
      return left.length
        ? {
            status: "error",
            error: {
              ename: "RerunError",
              evalue: `Stopped with steps still stale: ${left.join(", ")}`,
              traceback: [`RerunError: stopped with steps still stale: ${left.join(", ")}`],
            },
          }
        : { status: "ok", result: text(`Re-ran ${done.join(", ")}.`) };
    }
    case "runs": {
      const reader = session.storeReader;
      const flows = args ? [args] : reader.listFlows();
      const rows = flows
        .flatMap((f) => reader.listRuns(f))
        .sort((a, b) => b.createdAt - a.createdAt)
        .slice(0, 20)
        .map((r) => ({
          run: runPathspec(r),
          status: r.status,
          duration: durationOf(r.createdAt, r.finishedAt),
          started: new Date(r.createdAt).toISOString().replace("T", " ").slice(0, 19),
          tags: r.tags.join(","),
        }));
      return { status: "ok", result: rows.length ? tableBundle(rows) : text(args ? `No runs of ${args}.` : "No runs yet.") };
    }
    case "export": {
      if (!args.endsWith(".ts")) throw new UsageError("%export takes the flow file to write, e.g. %export word_scores_flow.ts");
      const file = session.exportFlow(args);
      return { status: "ok", result: text(`Exported ${session.flow} to ${file}`) };
    }
    default:
      throw new UsageError(`Unknown magic %${magic.name}. Magics: ${MAGICS.join(", ")}`);
  }
}
