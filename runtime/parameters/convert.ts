/**
 * A parameter value as the run stores it, from what was given: a string (the command line,
 * STEPLAB_RUN_<NAME>, a string default) is converted by the parameter's type; any other value
 * must already have that type. A wrong value is a usage error (exit 2) naming the parameter.
 */
import { UsageError } from "../../errors/index.js";
import type { ParameterType } from "../graph/index.js";

function parseJson(raw: string, what: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new UsageError(`Invalid value for ${what}: not valid JSON (${(err as Error).message})`);
  }
}

/** `what` names the value in errors: "'--n'", "the default of '--config'". */
export function convertString(type: ParameterType, raw: string, what: string): unknown {
  switch (type) {
    case "Number": {
      const n = Number(raw);
      if (raw.trim() === "" || Number.isNaN(n)) throw new UsageError(`Invalid value for ${what}: '${raw}' is not a valid number`);
      // 1e999 parses as Infinity, which no step expects from a number option (and JSON cannot hold).
      if (!Number.isFinite(n)) throw new UsageError(`Invalid value for ${what}: '${raw}' is not a finite number`);
      return n;
    }
    case "Boolean": {
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      throw new UsageError(`Invalid value for ${what}: '${raw}' is not a valid boolean (use true or false)`);
    }
    case "JSONType":
      return parseJson(raw, what);
    default:
      return raw;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}

export function convertValue(type: ParameterType, value: unknown, what: string): unknown {
  if (typeof value === "string") return convertString(type, value, what);
  // As click converts a default through the option's type: 3 for a String parameter is "3".
  if (type === "String" && (typeof value === "number" || typeof value === "boolean")) return String(value);
  const fits =
    type === "JSONType" ||
    (type === "Number" && typeof value === "number" && Number.isFinite(value)) ||
    (type === "Boolean" && typeof value === "boolean");
  if (!fits)
    throw new UsageError(
      `Invalid value for ${what}: it takes a ${type === "String" ? "string" : type.toLowerCase()}, got ${describe(value)}`,
    );
  return value;
}
