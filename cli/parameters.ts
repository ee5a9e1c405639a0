/**
 * Parameter values for `run`: the command line wins over STEPLAB_RUN_<NAME>, which wins over the
 * default; each value is converted to the parameter's type, with a usage error (exit 2) otherwise.
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../errors/index.js";
import type { ParameterNode } from "../runtime/graph/index.js";
import type { OptionSpec, ParsedOptions } from "./options.js";

export function parameterOptions(parameters: ParameterNode[]): OptionSpec[] {
  return parameters.map((p) => ({
    name: p.name,
    kind: p.type === "Boolean" ? "boolean" : "value",
    help: p.help,
  }));
}

export function envName(name: string): string {
  return `STEPLAB_RUN_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

function convert(p: ParameterNode, raw: string): unknown {
  const type = p.type ?? "String";
  switch (type) {
    case "Number": {
      const n = Number(raw);
      if (raw.trim() === "" || Number.isNaN(n)) throw new UsageError(`Invalid value for '--${p.name}': '${raw}' is not a valid number`);
      // 1e999 parses as Infinity, which no step expects from a number option (and JSON cannot hold).
      if (!Number.isFinite(n)) throw new UsageError(`Invalid value for '--${p.name}': '${raw}' is not a finite number`);
      return n;
    }
    case "Boolean": {
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      throw new UsageError(`Invalid value for '--${p.name}': '${raw}' is not a valid boolean (use true or false)`);
    }
    case "JSONType":
      try {
        return JSON.parse(raw);
      } catch (err) {
        throw new UsageError(`Invalid value for '--${p.name}': not valid JSON (${(err as Error).message})`);
      }
    default:
      return raw;
  }
}

export interface IncludedFile {
  name: string;
  file: string;
  bytes: number;
}

function include(p: ParameterNode, file: string, cwd: string): { value: unknown; included: IncludedFile } {
  const full = path.resolve(cwd, file);
  try {
    if (!statSync(full).isFile()) throw new Error("not a file");
    const data = readFileSync(full);
    return {
      value: p.isText === false ? new Uint8Array(data) : data.toString("utf8"),
      included: { name: p.name, file, bytes: data.byteLength },
    };
  } catch (err) {
    throw new UsageError(`Invalid value for '--${p.name}': cannot read file '${file}' (${(err as Error).message})`);
  }
}

/** Values by artifact (field) name, plus the files included. */
export function resolveParameters(
  parameters: ParameterNode[],
  parsed: ParsedOptions,
  env: NodeJS.ProcessEnv,
  cwd: string,
): { values: Record<string, unknown>; included: IncludedFile[] } {
  const values: Record<string, unknown> = {};
  const included: IncludedFile[] = [];
  for (const p of parameters) {
    const raw = parsed.values.get(p.name)?.[0] ?? env[envName(p.name)];
    if (p.kind === "includefile") {
      const file = raw ?? (typeof p.default === "string" ? p.default : undefined);
      if (file === undefined) {
        if (p.required) throw new UsageError(`Missing option '--${p.name}': a file to include`);
        continue;
      }
      const r = include(p, file, cwd);
      values[p.field] = r.value;
      included.push(r.included);
      continue;
    }
    if (raw !== undefined) {
      values[p.field] = convert(p, raw);
    } else if (p.hasDefault && p.default !== undefined) {
      values[p.field] = p.default;
    } else if (p.hasDefault) {
      throw new UsageError(
        `Parameter '${p.name}' has a default steplab cannot read without running code: give it on the command line (--${p.name}) or make the default a literal`,
      );
    } else if (p.required) {
      throw new UsageError(`Missing option '--${p.name}'${p.help ? ` (${p.help})` : ""}`);
    }
    // An optional parameter without default is simply unset (Metaflow: None).
  }
  return { values, included };
}
