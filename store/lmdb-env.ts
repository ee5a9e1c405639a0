/**
 * One LMDB environment per datastore root, shared by every Store opened on that root in this
 * process (LMDB must not be opened twice in one process) and by other processes through LMDB's own
 * locking: its databases, and what this process remembers about it.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Database, RootDatabase } from "lmdb";
import { StoreError } from "../errors/index.js";
import { lmdb } from "./lmdb-module.js";
import { StoreFullError } from "./errors.js";
import { openGcDbs, type GcDbs } from "./gc/index.js";
import { checkLmdbFile } from "./lmdb-file-check.js";
import type { CachedTask, HistoryEntry, RunRecord, TaskLogs, TaskRecord } from "./types.js";
import { checkRoom } from "./write-failure.js";

/** The same record encoding for every database that holds records (lmdb-js passes these to msgpackr). */
const RECORD_OPTIONS = {
  encoding: "msgpack",
  // Shared msgpack structures live in the database and race between processes; plain maps do not.
  useRecords: false,
} as const;

type MetaValue = number;

export interface Dbs {
  blobs: Database<Uint8Array, string>;
  runs: Database<RunRecord, (string | number)[]>;
  tasks: Database<TaskRecord, (string | number)[]>;
  logs: Database<TaskLogs, (string | number)[]>;
  history: Database<HistoryEntry, number>;
  meta: Database<MetaValue, string>;
  /** Task cache index (`run --cache`): [flow, key] -> the task holding those results. */
  taskCache: Database<CachedTask, string[]>;
  gc: GcDbs;
}

export interface SharedEnv {
  env: RootDatabase;
  dbs: Dbs;
  refs: number;
  /** Blobs this process found intact: hashed once, not on every read or dedup. */
  intact: Set<string>;
}

/** How many intact blobs a process remembers (then it starts over). */
export const INTACT_MEMORY = 100_000;

const openEnvs = new Map<string, SharedEnv>();

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function openShared(root: string): SharedEnv {
  const existing = openEnvs.get(root);
  if (existing) {
    existing.refs++;
    return existing;
  }
  let env: RootDatabase;
  // Before mapping it: a file cut short or garbled would crash the process at its first read.
  checkLmdbFile(root);
  try {
    mkdirSync(root, { recursive: true });
    // LMDB maps its lock file: made on a full disk, its first touch is a SIGBUS.
    if (!existsSync(join(root, "lock.mdb")) || !existsSync(join(root, "data.mdb"))) checkRoom(0, "a new datastore", root);
    env = lmdb.open({
      path: root,
      // The root may look like a file name (".../store.db"); it is always a directory.
      noSubdir: false,
      maxDbs: 16,
      maxReaders: 512,
      // No mapSize: lmdb-js starts small and grows the map as the file grows, so one 100 MB
      // artifact needs no configuration and an idle store reserves no address space.
      // Commits are not fsynced one by one (an fsync costs ~6 ms here, more than a notebook
      // cell's whole run): a killed process loses nothing committed, since the pages are in the
      // OS cache; only an OS crash or power loss can lose the latest commits. Metaflow's local
      // datastore does not fsync either. The environment is flushed when the store closes.
      noSync: true,
      // Pages LMDB mallocs for a commit are not zeroed before the data is copied in: writing a
      // 100 MB artifact took 95-370 ms here with zeroing (slow whenever the VM had to find fresh
      // memory) and 110-175 ms without. The cost: the unused tail of a page may keep leftover bytes
      // of this process's own memory, in the user's own datastore file.
      noMemInit: true,
    });
  } catch (err) {
    if (err instanceof StoreFullError) throw err;
    throw new StoreError(
      `cannot open the steplab datastore at ${root}: ${message(err)}. ` +
        `Check that this directory can be created and written, or set STEPLAB_DATASTORE to another directory.`,
    );
  }
  const dbs: Dbs = {
    blobs: env.openDB<Uint8Array, string>("blobs", { encoding: "binary" }),
    runs: env.openDB("runs", RECORD_OPTIONS),
    tasks: env.openDB("tasks", RECORD_OPTIONS),
    logs: env.openDB("logs", RECORD_OPTIONS),
    history: env.openDB("history", RECORD_OPTIONS),
    meta: env.openDB("meta", RECORD_OPTIONS),
    taskCache: env.openDB("taskCache", RECORD_OPTIONS),
    gc: openGcDbs(env, RECORD_OPTIONS),
  };
  const shared = { env, dbs, refs: 1, intact: new Set<string>() };
  openEnvs.set(root, shared);
  return shared;
}

/** After the last handle closes (or before compaction replaces the file): the next open maps it again. */
export function forgetShared(root: string): void {
  openEnvs.delete(root);
}
