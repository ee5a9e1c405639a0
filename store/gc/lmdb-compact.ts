/**
 * `gc --compact`: LMDB never shrinks its file; pages freed by a delete are reused for later
 * writes. lmdb-js's backup(dir, true) (mdb_env_copy2 with MDB_CP_COMPACT) writes a copy without
 * the free pages; it then replaces data.mdb. That is only safe when no other process has the
 * environment open (it would keep writing to the replaced file), so the swap is guarded by the
 * locks LMDB holds on lock.mdb (lock-holders.ts), checked before the copy, before the swap, and
 * after it — a process that opened the store during the swap gets the old file back, unchanged.
 */
import { existsSync, linkSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import type { RootDatabase } from "lmdb";
import { CompactBusyError } from "../collector-errors.js";
import { StoreFullError } from "../errors.js";
import { writeError } from "../write-failure.js";
import { lockHolders } from "./lock-holders.js";
import type { CompactResult } from "../collector.js";

const DATA_FILE = "data.mdb";
const LOCK_FILE = "lock.mdb";

function othersHolding(root: string, self: number | undefined): string | undefined {
  const lockFile = path.join(root, LOCK_FILE);
  if (!existsSync(lockFile)) return undefined;
  const holders = lockHolders(lockFile);
  if (holders === undefined) {
    return "this system does not list file locks (/proc/locks), so gc cannot tell whether another process has the datastore open";
  }
  const others = holders.filter((h) => h.pid !== self);
  if (others.length === 0) return undefined;
  const names = others.map((h) => (h.pid > 0 ? `pid ${h.pid}${h.command ? ` (${h.command})` : ""}` : "an unknown process")).join(", ");
  return `the datastore is open in ${names}`;
}

/**
 * The compact copy goes next to the datastore (a rename must replace its file), so it needs room
 * for the live data on the same disk. On a full disk, say so with what it takes: after `gc`, the
 * live data is what is left.
 */
async function copyCompact(env: RootDatabase, copyDir: string, root: string): Promise<void> {
  try {
    await env.backup(copyDir, true);
  } catch (err) {
    const copied = fileSize(path.join(copyDir, DATA_FILE));
    rmSync(copyDir, { recursive: true, force: true });
    const failure = writeError(err, "the compacted copy of the datastore", root);
    // lmdb-js reports a failed copy by its message alone, without a code.
    const full = failure instanceof StoreFullError || /no space left on device/i.test((err as Error)?.message ?? "");
    if (!full) throw failure;
    throw new StoreFullError(
      `cannot compact the steplab datastore at ${root}: the disk is full, and compacting writes a copy of the live data next to it ` +
        `(it had reached ${(copied / 2 ** 20).toFixed(1)} MB). Nothing changed. Free that much space elsewhere on the disk, ` +
        "or delete more runs first (`steplab gc --keep-last N`), and run `steplab gc --compact` again.",
    );
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

export async function compactEnvironment(root: string, env: RootDatabase, closeEnv: () => Promise<void>): Promise<CompactResult> {
  const dataFile = path.join(root, DATA_FILE);
  const before = statSync(dataFile).size;
  const busy = othersHolding(root, process.pid);
  if (busy)
    throw new CompactBusyError(
      `cannot compact: ${busy}. Stop it (runs, kernels, REPLs on this datastore) and run \`steplab gc --compact\` again.`,
    );

  const copyDir = path.join(root, `.compact-${process.pid}`);
  const saved = path.join(root, `${DATA_FILE}.before-compact-${process.pid}`);
  rmSync(copyDir, { recursive: true, force: true });
  mkdirSync(copyDir);
  try {
    await copyCompact(env, copyDir, root);
    await closeEnv();
    const late = othersHolding(root, undefined);
    if (late)
      throw new CompactBusyError(`compaction stopped, nothing changed: ${late} since it started. Run \`steplab gc --compact\` again.`);
    // Keep the old file under another name until the swap is known to be safe.
    linkSync(dataFile, saved);
    renameSync(path.join(copyDir, DATA_FILE), dataFile);
    const racing = othersHolding(root, undefined);
    if (racing) {
      renameSync(saved, dataFile);
      throw new CompactBusyError(`compaction undone, nothing changed: ${racing} during the swap. Run \`steplab gc --compact\` again.`);
    }
  } finally {
    // Once the swap is done or undone this is a spare link (or gone); the data file is whole either way.
    rmSync(saved, { force: true });
    rmSync(copyDir, { recursive: true, force: true });
  }
  return { before, after: statSync(dataFile).size };
}
