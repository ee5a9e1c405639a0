/**
 * One collection: take the lease, choose the runs that go, delete them, mark what stays live,
 * sweep the rest. A dry run reads the same and changes nothing. The order matters for runs going
 * on meanwhile (see types.ts): the lease comes before the mark, so every reference the mark
 * cannot see is pinned, and the sweep keeps what was pinned.
 */
import { runPathspec } from "../pathspec.js";
import type { RunRecord, Store } from "../types.js";

/** Notebook runs are ordinary runs with this tag (SPEC §3). */
const NOTEBOOK_TAG = "notebook";
import { liveBlobs, ownBlobs, readReferences, withChildren } from "./mark.js";
import { ownerAlive, thisHost } from "./owner.js";
import { selectRuns, type RetentionRule, type RunInProgress, type SparedRun } from "./policy.js";
import type { StoreCollector } from "../collector.js";

export interface CollectOptions extends RetentionRule {
  dryRun?: boolean;
}

export interface CollectedRun {
  run: RunRecord;
  /** Stored bytes of the blobs only this run referred to. */
  ownBytes: number;
}

export interface CollectReport {
  dryRun: boolean;
  runs: CollectedRun[];
  spared: SparedRun[];
  /** Tasks deleted with the runs (in a dry run: that would be). */
  tasks: number;
  blobs: number;
  /** Stored bytes of the blobs deleted. */
  bytes: number;
  /** Garbage blobs kept because a run referred to them while gc worked. */
  pinned: number;
}

/** How long a remote notebook run counts as in use after its last change (gc cannot see its session). */
export const REMOTE_NOTEBOOK_IDLE_MS = 24 * 60 * 60 * 1000;

/**
 * Whether a run's owner is at work on it. A notebook's run reads "succeeded" whenever all its
 * steps are fresh, yet its session may add tasks any time: it is in progress while the session's
 * process lives. An LMDB store is one machine's, so the pid can be checked. A remote store's runs
 * come from any machine: one marked running is trusted to be (one from this machine whose process
 * is gone already reads killed: store/run-owner.ts), a notebook's for a day after its
 * last change.
 */
export function runInProgress(collector: StoreCollector, now = Date.now()): RunInProgress {
  const notebook = (run: RunRecord) => run.tags.includes(NOTEBOOK_TAG);
  if (collector.kind === "remote") {
    return (run) => run.status === "running" || (notebook(run) && now - (run.finishedAt ?? run.createdAt) < REMOTE_NOTEBOOK_IDLE_MS);
  }
  return (run) => (run.status === "running" || notebook(run)) && ownerAlive(run.pid, run.createdAt);
}

function allRuns(store: Store): RunRecord[] {
  return store.listFlows().flatMap((flow) => store.listRuns(flow));
}

function sum(sizes: Map<string, number>, shas: Iterable<string>): number {
  let total = 0;
  for (const sha of shas) total += sizes.get(sha) ?? 0;
  return total;
}

export async function collectGarbage(store: Store, opts: CollectOptions): Promise<CollectReport> {
  const collector = store.collector();
  const dryRun = opts.dryRun === true;
  const children = (sha: string) => collector.childBlobs(sha);
  if (!dryRun) await collector.acquireLease({ pid: process.pid, host: thisHost(), at: Date.now() });
  try {
    const runs = allRuns(store);
    const { doomed, spared } = selectRuns(runs, opts, runInProgress(collector, opts.now));
    const refs = readReferences(collector, runs, opts.now);
    const deleted = new Set(doomed.map(runPathspec));
    const live = liveBlobs(refs, deleted, children);
    const candidates = collector.blobShas().filter((sha) => !live.has(sha));

    const own = ownBlobs(refs, children, deleted);
    const runsWith = (sizes: Map<string, number>) => doomed.map((run) => ({ run, ownBytes: sum(sizes, own.get(runPathspec(run)) ?? []) }));
    if (dryRun) {
      const sizes = collector.storedSizes(candidates);
      const tasks = sum(refs.tasksByRun, deleted);
      return { dryRun, runs: runsWith(sizes), spared, tasks, blobs: candidates.length, bytes: sum(sizes, candidates), pinned: 0 };
    }
    const tasks = await collector.deleteRuns(doomed);
    const swept = await collector.sweep(candidates, refs.expired, (pinned) => withChildren(pinned, children));
    return { dryRun, runs: runsWith(swept.sizes), spared, tasks, blobs: swept.blobs, bytes: swept.bytes, pinned: swept.pinned };
  } finally {
    if (!dryRun) await collector.releaseLease();
  }
}

/** Stored bytes of the blobs only each run refers to (what deleting it alone would free), by run pathspec. */
export function runSizes(store: Store): Map<string, number> {
  const collector = store.collector();
  const children = (sha: string) => collector.childBlobs(sha);
  const refs = readReferences(collector, allRuns(store), Date.now());
  const own = ownBlobs(refs, children);
  const sizes = collector.storedSizes(new Set([...own.values()].flatMap((s) => [...s])));
  return new Map([...own].map(([run, shas]) => [run, sum(sizes, shas)]));
}
