/**
 * The mark phase: which blobs something still refers to. A blob is live when a task or the
 * parameters of a run that stays refer to it, when it is pending (put for a record not yet
 * written) and its writer may still write that record, or when a live blob names it (a chunked
 * value's manifest). Everything else is garbage.
 *
 * Reference counts kept at commit time were measured against this (bench/gc.bench.ts): they
 * cost every commit a read-modify-write per artifact, forever, to save a pass that takes well
 * under a second for 10,000 tasks; and a mark needs no migration of existing stores.
 */
import { runPathspec } from "../pathspec.js";
import type { RunRecord } from "../types.js";
import { ownerAlive, thisHost } from "./owner.js";
import type { PendingBlob, StoreCollector } from "../collector.js";

/**
 * A pending blob put from another machine (remote datastores), whose writer gc cannot see, is
 * protected this long. One put from this machine is protected exactly while its writer lives:
 * once that process is gone, the record that refers to the blob was written or never will be.
 */
export const PENDING_GRACE_OTHER_HOST_MS = 24 * 60 * 60 * 1000;

export interface References {
  /** The blobs each run refers to, by run pathspec. */
  byRun: Map<string, Set<string>>;
  /** How many tasks each run has, by run pathspec. */
  tasksByRun: Map<string, number>;
  /** Blobs live whatever happens to runs (protected pending blobs). */
  roots: Set<string>;
  /** Pending entries no longer protected: the sweep forgets them. */
  expired: string[];
}

export function pendingProtected(p: PendingBlob, now: number, host = thisHost()): boolean {
  if (p.host !== undefined && p.host !== host) return now - p.at < PENDING_GRACE_OTHER_HOST_MS;
  return ownerAlive(p.pid, p.at);
}

/** Reads every reference in the store: tasks, run parameters, pending blobs. */
export function readReferences(collector: StoreCollector, runs: RunRecord[], now: number): References {
  const byRun = new Map<string, Set<string>>();
  const of = (key: string) => {
    let set = byRun.get(key);
    if (!set) byRun.set(key, (set = new Set()));
    return set;
  };
  for (const run of runs) {
    const set = of(runPathspec(run));
    for (const p of Object.values(run.parameters)) set.add(p.sha);
  }
  // Read after the runs: a run started in between appears here through its tasks, and is kept.
  const tasksByRun = new Map<string, number>();
  for (const task of collector.taskReferences()) {
    const run = runPathspec(task);
    const set = of(run);
    for (const sha of task.shas) set.add(sha);
    tasksByRun.set(run, (tasksByRun.get(run) ?? 0) + 1);
  }
  const roots = new Set<string>();
  const expired: string[] = [];
  for (const p of collector.pendingBlobs()) {
    if (pendingProtected(p, now)) roots.add(p.sha);
    else expired.push(p.sha);
  }
  return { byRun, tasksByRun, roots, expired };
}

/** `shas` and every blob they name, transitively. */
export function withChildren(shas: Iterable<string>, children: (sha: string) => string[]): Set<string> {
  const out = new Set<string>();
  const stack = [...shas];
  while (stack.length > 0) {
    const sha = stack.pop()!;
    if (out.has(sha)) continue;
    out.add(sha);
    for (const child of children(sha)) if (!out.has(child)) stack.push(child);
  }
  return out;
}

/** The live blobs once the runs in `deleted` (pathspecs) are gone. */
export function liveBlobs(refs: References, deleted: Set<string>, children: (sha: string) => string[]): Set<string> {
  const roots: string[] = [...refs.roots];
  for (const [run, shas] of refs.byRun) if (!deleted.has(run)) roots.push(...shas);
  return withChildren(roots, children);
}

/**
 * For each run (of `only`, if given), the blobs only it refers to: what deleting it alone would
 * free. Blobs shared with another run, or protected as pending, belong to no run.
 */
export function ownBlobs(refs: References, children: (sha: string) => string[], only?: Set<string>): Map<string, Set<string>> {
  const users = new Map<string, number>();
  const closures = new Map<string, Set<string>>();
  for (const [run, shas] of refs.byRun) {
    const all = withChildren(shas, children);
    closures.set(run, all);
    for (const sha of all) users.set(sha, (users.get(sha) ?? 0) + 1);
  }
  const roots = withChildren(refs.roots, children);
  const own = new Map<string, Set<string>>();
  for (const [run, all] of closures) {
    if (!only || only.has(run)) own.set(run, new Set([...all].filter((sha) => users.get(sha) === 1 && !roots.has(sha))));
  }
  return own;
}
