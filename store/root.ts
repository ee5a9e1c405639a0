import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const STORE_DIR = ".steplab";

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The datastore root: `STEPLAB_DATASTORE` if set (a directory, or an `s3://bucket/prefix` URL), else the nearest existing `.steplab/` from `cwd`
 * upwards (as git finds `.git`), else `<cwd>/.steplab`.
 */
export function resolveStoreRoot(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.STEPLAB_DATASTORE;
  if (configured !== undefined && configured.trim() !== "") {
    // An s3://bucket/prefix root names a remote datastore, not a path.
    if (/^s3:\/\//i.test(configured.trim())) return configured.trim();
    return resolve(cwd, configured);
  }
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, STORE_DIR);
    if (existsSync(candidate) && isDirectory(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return join(resolve(cwd), STORE_DIR);
}
