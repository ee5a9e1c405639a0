/**
 * LMDB maps its data file into memory and trusts it: a file cut short (a full disk during a copy, a
 * partial restore) or with a garbled header makes the first read past the end a SIGBUS or SIGSEGV,
 * which kills the process without a word. Before opening, the file is checked against its own
 * header: its meta pages (LMDB's 0xBEEFC0DE magic, a sane page size) and, for each usable one, the last page it uses and its trees' roots must lie inside the file.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import path from "node:path";
import { StoreDamagedError } from "./errors.js";

const MAGIC = 0xbeefc0de;
const P_META = 0x08;
/** The page header of the LMDB lmdb-js builds (pgno, txnid, pad, flags, lower/upper) precedes the meta. */
const PAGE_HEADER = 24;
/** Meta fields after the magic: version, address, mapsize, then the free-page and main trees. */
const DB_SIZE = 48;
const META_DBS = PAGE_HEADER + 4 + 4 + 8 + 8;
const META_LAST_PAGE = META_DBS + 2 * DB_SIZE;
const META_TXNID = META_LAST_PAGE + 8;
const META_SIZE = META_TXNID + 8;
/** An empty tree's root. */
const NO_PAGE = 0xffffffffffffffffn;

interface Meta {
  pageSize: number;
  lastPage: bigint;
  roots: bigint[];
}

function readMeta(page: Buffer, at: string): Meta | string {
  if (page.length < META_SIZE) return `its ${at} is cut short`;
  const flags = page.readUInt16LE(18);
  if (!(flags & P_META) || page.readUInt32LE(PAGE_HEADER) !== MAGIC) return `its ${at} is not an LMDB header`;
  const pageSize = page.readUInt32LE(META_DBS); // kept in the free-page tree's md_pad
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0)
    return `its ${at} gives an impossible page size (${pageSize})`;
  const root = (db: number) => page.readBigUInt64LE(META_DBS + db * DB_SIZE + 40);
  return { pageSize, lastPage: page.readBigUInt64LE(META_LAST_PAGE), roots: [root(0), root(1)] };
}

/** How long a header that looks damaged is given to settle: another process may be creating the store. */
const SETTLE_TRIES = 5;
const SETTLE_MS = 40;

/**
 * Throws StoreDamagedError if `root`'s data.mdb does not hold what its header says. A missing or
 * empty file is a new store. A file another process is creating this moment (its header pages not
 * yet written whole) reads as damaged for a few milliseconds: the check is repeated before it fails.
 */
export function checkLmdbFile(root: string): void {
  for (let attempt = 1; ; attempt++) {
    try {
      checkOnce(root);
      return;
    } catch (err) {
      if (!(err instanceof StoreDamagedError) || attempt >= SETTLE_TRIES) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, SETTLE_MS);
    }
  }
}

function checkOnce(root: string): void {
  const file = path.join(root, "data.mdb");
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return; // not there yet: LMDB creates it
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return;
    const read = (offset: number) => {
      const page = Buffer.alloc(META_SIZE);
      const n = readSync(fd, page, 0, META_SIZE, offset);
      return page.subarray(0, n);
    };
    // LMDB learns the page size from the first header page: it must be sound. The second one may
    // be damaged (LMDB writes the two in turn and goes by the other).
    const first = readMeta(read(0), "first header page");
    if (typeof first === "string") throw new StoreDamagedError(root, first);
    const second = readMeta(read(first.pageSize), "second header page");
    const usable = typeof second === "string" ? [first] : [first, second];
    for (const meta of usable) {
      const pages = BigInt(Math.floor(size / meta.pageSize));
      if (meta.lastPage >= pages) {
        throw new StoreDamagedError(
          root,
          `data.mdb is ${size} bytes, but its header says it uses ${(meta.lastPage + 1n) * BigInt(meta.pageSize)} (the file was cut short)`,
        );
      }
      const outside = meta.roots.find((r) => r !== NO_PAGE && r > meta.lastPage);
      if (outside !== undefined)
        throw new StoreDamagedError(root, `its header points at page ${outside}, past its last page ${meta.lastPage}`);
    }
  } finally {
    closeSync(fd);
  }
}
