/**
 * Which runs a collection deletes. A run goes when the user's rule selects it (older than the
 * last N of its flow, started before a date, or named) and nothing protects it: a run in progress
 * (its owner process is alive), a run tagged `keep` or a `--keep-tag`, the latest successful run
 * of its flow (unless named), and a run that a resume in progress is cloning from.
 */
import { NotFoundError } from "../../errors/index.js";
import { runPathspec } from "../pathspec.js";
import type { RunRecord } from "../types.js";
import type { RunKey } from "../collector.js";

export const KEEP_TAG = "keep";

export interface RetentionRule {
  /** Only this flow's runs (default: every flow). */
  flow?: string;
  /** Exactly these runs, instead of keepLast / olderThanMs. */
  named?: RunKey[];
  /** Keep the newest N runs of each flow. */
  keepLast?: number;
  /** Delete runs started more than this many ms before `now`. */
  olderThanMs?: number;
  /** Tags that protect a run, besides `keep`. */
  keepTags?: string[];
  now: number;
}

export interface SparedRun {
  run: RunRecord;
  why: string;
}

export interface RunSelection {
  /** Runs to delete, oldest first. */
  doomed: RunRecord[];
  /** Runs the rule selected that are protected, with the reason. */
  spared: SparedRun[];
}

/** Whether a run's owner process is still at work on it. */
export type RunInProgress = (run: RunRecord) => boolean;

function byFlow(runs: RunRecord[]): Map<string, RunRecord[]> {
  const flows = new Map<string, RunRecord[]>();
  for (const run of runs) {
    const list = flows.get(run.flow) ?? [];
    list.push(run);
    flows.set(run.flow, list);
  }
  // Newest first: run ids increase with time.
  for (const list of flows.values()) list.sort((a, b) => compareRunIds(b.runId, a.runId));
  return flows;
}

function compareRunIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

function selectedByRule(runs: RunRecord[], rule: RetentionRule): RunRecord[] {
  if (rule.named) {
    const index = new Map(runs.map((r) => [runPathspec(r), r]));
    return rule.named.map((key) => {
      const run = index.get(runPathspec(key));
      if (!run) throw new NotFoundError(`Run '${runPathspec(key)}' is not in the datastore: \`steplab runs ${key.flow}\` lists its runs`);
      return run;
    });
  }
  const selected: RunRecord[] = [];
  for (const [flow, list] of byFlow(runs)) {
    if (rule.flow !== undefined && flow !== rule.flow) continue;
    list.forEach((run, i) => {
      const beyondLast = rule.keepLast === undefined || i >= rule.keepLast;
      const oldEnough = rule.olderThanMs === undefined || run.createdAt < rule.now - rule.olderThanMs;
      if (beyondLast && oldEnough) selected.push(run);
    });
  }
  return selected;
}

export function selectRuns(runs: RunRecord[], rule: RetentionRule, inProgress: RunInProgress): RunSelection {
  const keepTags = new Set([KEEP_TAG, ...(rule.keepTags ?? [])]);
  const latestSucceeded = new Set<string>();
  for (const list of byFlow(runs).values()) {
    const latest = list.find((r) => r.status === "succeeded");
    if (latest) latestSucceeded.add(runPathspec(latest));
  }
  const running = runs.filter(inProgress);
  const resumedFrom = new Set(running.filter((r) => r.originRunId).map((r) => runPathspec({ flow: r.flow, runId: r.originRunId! })));

  const doomed: RunRecord[] = [];
  const spared: SparedRun[] = [];
  for (const run of selectedByRule(runs, rule)) {
    const name = runPathspec(run);
    const tag = run.tags.find((t) => keepTags.has(t));
    let why: string | undefined;
    if (inProgress(run)) why = `in progress${run.pid ? ` (pid ${run.pid})` : ""}`;
    else if (tag) why = `tagged ${tag}`;
    else if (resumedFrom.has(name)) why = "a resume in progress clones from it";
    else if (latestSucceeded.has(name) && !rule.named) why = "the latest successful run of its flow (name it to delete it)";
    if (why) spared.push({ run, why });
    else doomed.push(run);
  }
  doomed.sort((a, b) => a.flow.localeCompare(b.flow) || compareRunIds(a.runId, b.runId));
  return { doomed, spared };
}
