/**
 * What `run` does with the task cache: `--cache` (or `--cache false`) on the command line, else
 * STEPLAB_CACHE, else `"cache"` in steplab.config.json. True reuses unchanged tasks; unset, a run
 * never reuses but records its tasks' keys, so that a later `--cache` run can reuse them; false
 * neither reuses nor records.
 */
import { loadConfigFile } from "../store/index.js";
import { UsageError } from "../errors/index.js";
import type { TaskCacheMode } from "../runtime/scheduler/index.js";
import type { CliIO } from "./io.js";
import { single, type OptionSpec, type ParsedOptions } from "./options.js";

export const CACHE_OPTION: OptionSpec = {
  name: "cache",
  kind: "boolean",
  help:
    'Reuse each task whose code and inputs are unchanged since an earlier run (also STEPLAB_CACHE=1, or "cache": true in ' +
    "steplab.config.json); --cache false neither reuses nor records",
};

function flag(raw: string, where: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw.trim())) return true;
  if (/^(0|false|no|off)$/i.test(raw.trim())) return false;
  throw new UsageError(`Invalid value for ${where}: '${raw}' (use true or false)`);
}

/** True or false when the user said so, on the command line, in the environment or in the config file. */
function said(parsed: ParsedOptions, io: CliIO): boolean | undefined {
  const given = single(parsed, "cache");
  if (given !== undefined) return flag(given, "--cache");
  const env = io.env.STEPLAB_CACHE;
  if (env !== undefined && env.trim() !== "") return flag(env, "STEPLAB_CACHE");
  const fromFile = loadConfigFile(io.cwd, io.env).cache;
  if (fromFile === undefined) return undefined;
  if (typeof fromFile !== "boolean") {
    throw new UsageError(`"cache" in steplab.config.json must be true or false, got ${JSON.stringify(fromFile)}`);
  }
  return fromFile;
}

export function cacheMode(parsed: ParsedOptions, io: CliIO): TaskCacheMode {
  const on = said(parsed, io);
  return on === undefined ? "record" : on ? "reuse" : "off";
}
