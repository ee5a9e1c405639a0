/**
 * What a failed write to the datastore says. lmdb-js reports a failed commit as "Commit failed (see
 * commitError for details)", the cause (ENOSPC, or EIO for a write the full disk cut short) in a
 * promise on the side; a full disk is named as such, with the space left and what to do.
 */
import { statfsSync } from "node:fs";
import { StoreError } from "../errors/index.js";
import { StoreFullError } from "./errors.js";

const FULL_CODES = new Set(["ENOSPC", "EDQUOT", 28, 122]);
const SHORT_WRITE_CODES = new Set(["EIO", 5]);
/** Below this much free space an I/O error on write is taken for a full disk. */
const NEARLY_FULL_BYTES = 64 * 2 ** 20;

export function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

/** The cause lmdb-js keeps beside "Commit failed", when it gives one within a moment. */
async function commitCause(err: unknown): Promise<unknown> {
  const side = (err as { commitError?: Promise<unknown> } | null)?.commitError;
  if (!side || typeof side.then !== "function") return err;
  const timeout = new Promise((resolve) => setTimeout(() => resolve(err), 1000).unref());
  return Promise.race([
    side.then(
      () => err,
      (cause: unknown) => cause,
    ),
    timeout,
  ]);
}

function fullError(root: string, what: string, room: string): StoreFullError {
  return new StoreFullError(
    `the disk holding the steplab datastore at ${root} is full (${room}): ${what} could not be written. ` +
      "Free some space (`npx steplab gc --keep-last N` deletes old runs, then `npx steplab gc --compact` gives their space " +
      "back to the disk) and run again; what was written before is intact.",
  );
}

/** The error for a write (`what`) that failed at `root`, synchronously known. */
export function writeError(cause: unknown, what: string, root: string): StoreError | StoreFullError {
  const code = (cause as { code?: string | number } | null)?.code;
  const free = freeBytes(root);
  const full =
    (code !== undefined && FULL_CODES.has(code)) ||
    (code !== undefined && SHORT_WRITE_CODES.has(code) && free !== undefined && free < NEARLY_FULL_BYTES);
  if (full) return fullError(root, what, free !== undefined ? `${megabytes(free)} free` : "no space left");
  const message = cause instanceof Error ? cause.message : String(cause);
  return new StoreError(`could not write ${what} to the steplab datastore at ${root}: ${message}`);
}

/** writeError for an asynchronous commit, after fetching lmdb-js's side cause. */
export async function commitError(err: unknown, what: string, root: string): Promise<StoreError | StoreFullError> {
  return writeError(await commitCause(err), what, root);
}

/** Marks a write queued inside a transaction as handled: its failure is the transaction's, reported once by its caller. */
export function queued(write: unknown): void {
  if (write && typeof (write as Promise<unknown>).catch === "function") (write as Promise<unknown>).catch(() => undefined);
}

const RECHECK_MS = 250;
const PLENTY_BYTES = 256 * 2 ** 20;
const lastSeen = new Map<string, { free: number; at: number }>();

/**
 * Refuses a write of about `bytes` that the disk cannot hold, before LMDB tries: a commit the disk
 * cuts short is reported by LMDB and lmdb-js with messages and stacks of their own on stderr. (LMDB may reuse free pages
 * inside its file, so this errs only when the disk is nearly full anyway.)
 */
export function checkRoom(bytes: number, what: string, root: string): void {
  // Pages, the B-tree around the data, the file growing in steps: a margin above the data itself.
  const needed = bytes * 1.1 + 2 ** 20;
  const now = Date.now();
  // A disk with plenty of room was seen a moment ago: no need to ask again for a small commit.
  const seen = lastSeen.get(root);
  if (seen && now - seen.at < RECHECK_MS && seen.free - needed > PLENTY_BYTES) return;
  const free = freeBytes(root);
  if (free !== undefined) lastSeen.set(root, { free, at: now });
  if (free !== undefined && free < needed) throw fullError(root, what, `${megabytes(free)} free, about ${megabytes(needed)} needed`);
}
