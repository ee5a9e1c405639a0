/**
 * lmdb, loaded as its CommonJS build: one file, which loads in ~27 ms here against ~41 ms for its
 * ES modules (paid by every command that opens a datastore). Every module of steplab takes lmdb
 * from here, so a process never holds its two builds at once.
 */
import { createRequire } from "node:module";

export const lmdb = createRequire(import.meta.url)("lmdb") as typeof import("lmdb");
