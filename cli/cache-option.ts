/**
 * Whether `run` reuses unchanged tasks: `--cache` (or `--cache false`) on the command line, else
 * STEPLAB_CACHE, else `"cache": true` in steplab.config.json, else no (a plain run never reuses).
 */
import { loadConfigFile } from "../store/index.js";
import { UsageError } from "../errors/index.js";
import type { CliIO } from "./io.js";
import { single, type OptionSpec, type ParsedOptions } from "./options.js";

export const CACHE_OPTION: OptionSpec = {
  name: "cache",
  kind: "boolean",
  help: 'Reuse each task whose code and inputs are unchanged since an earlier run (also STEPLAB_CACHE=1, or "cache": true in steplab.config.json)',
};

function flag(raw: string, where: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw.trim())) return true;
  if (/^(0|false|no|off)?$/i.test(raw.trim())) return false;
  throw new UsageError(`Invalid value for ${where}: '${raw}' (use true or false)`);
}

export function cacheEnabled(parsed: ParsedOptions, io: CliIO): boolean {
  const given = single(parsed, "cache");
  if (given !== undefined) return flag(given, "--cache");
  const env = io.env.STEPLAB_CACHE;
  if (env !== undefined && env.trim() !== "") return flag(env, "STEPLAB_CACHE");
  const fromFile = loadConfigFile(io.cwd, io.env).cache;
  if (fromFile === undefined) return false;
  if (typeof fromFile !== "boolean")
    throw new UsageError(`"cache" in steplab.config.json must be true or false, got ${JSON.stringify(fromFile)}`);
  return fromFile;
}
