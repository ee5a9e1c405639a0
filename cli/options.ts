/**
 * A small option reader for commands whose options depend on the flow (its parameters), which a
 * static parser such as util.parseArgs cannot describe up front.
 */
import { UsageError } from "../errors/index.js";

export interface OptionSpec {
  name: string;
  /** Flags take no value (`--private`); a boolean option takes an optional value. */
  kind: "value" | "flag" | "boolean";
  help?: string;
  /** Several occurrences are kept (`--tag a --tag b`). */
  repeatable?: boolean;
}

export interface ParsedOptions {
  values: Map<string, string[]>;
  positionals: string[];
}

export function parseOptions(args: string[], specs: OptionSpec[], command: string): ParsedOptions {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--") || arg === "--") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = byName.get(name) ?? byName.get(name.replace(/-/g, "_"));
    if (!spec) {
      const known = specs.map((s) => `--${s.name}`).join(", ");
      throw new UsageError(`No such option: --${name}. Options of ${command}: ${known || "(none)"}`);
    }
    let value: string;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (spec.kind === "flag") value = "true";
    else if (spec.kind === "boolean") {
      const next = args[i + 1];
      value = next !== undefined && /^(true|false|1|0|yes|no)$/i.test(next) ? (i++, next) : "true";
    } else {
      const next = args[i + 1];
      if (next === undefined) throw new UsageError(`Option --${name} requires a value`);
      value = next;
      i++;
    }
    const list = values.get(spec.name) ?? [];
    if (list.length && !spec.repeatable) throw new UsageError(`Option --${name} was given twice`);
    list.push(value);
    values.set(spec.name, list);
  }
  return { values, positionals };
}

export function single(parsed: ParsedOptions, name: string): string | undefined {
  return parsed.values.get(name)?.[0];
}

export function integerOption(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`Invalid value for --${name}: '${raw}' is not a positive integer`);
  return n;
}
