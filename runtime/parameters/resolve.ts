/**
 * The one place a run's parameter values are decided, for `run`, the `step` command (Argo's start
 * pod) and runFlow() in a notebook: a value given by name wins over STEPLAB_RUN_<NAME>, which wins
 * over the default; every value is converted to the parameter's type; computed defaults are
 * evaluated by loading the flow, only when one is needed; IncludeFile reads its file.
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../../errors/index.js";
import type { FlowGraph, ParameterNode, ParameterType } from "../graph/index.js";
import { typeOfValue } from "../support/index.js";
import { convertValue } from "./convert.js";
import { evaluateDefaults } from "./defaults.js";

export interface ParameterSources {
  /** Values by parameter name (or field name): strings are converted by type, others must have it. */
  given: Record<string, unknown>;
  /** The environment STEPLAB_RUN_<NAME> values are read from. */
  env: NodeJS.ProcessEnv;
  /** Where IncludeFile paths are relative to. */
  cwd: string;
  /** The datastore the flow's code may read while it loads (computed defaults). */
  storeRoot: string;
  /** What the flow prints while it loads. */
  output?(stream: "stdout" | "stderr", text: string): void;
}

export interface IncludedFile {
  name: string;
  file: string;
  bytes: number;
}

export interface ResolvedParameters {
  /** Values by artifact (field) name; an optional parameter without a value is absent. */
  values: Record<string, unknown>;
  included: IncludedFile[];
}

export function envName(name: string): string {
  return `STEPLAB_RUN_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** The parameter's type: given, inferred when the flow was read, or from its evaluated default. */
export function parameterType(p: ParameterNode, computedDefault?: unknown): ParameterType {
  return p.type ?? typeOfValue(computedDefault) ?? "String";
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

function checkNames(graph: FlowGraph, given: Record<string, unknown>): void {
  const known = new Set(graph.parameters.flatMap((p) => [p.name, p.field]));
  const unknown = Object.keys(given).filter((k) => !known.has(k));
  if (unknown.length) {
    const names = graph.parameters.map((p) => p.name).join(", ") || "(none)";
    throw new UsageError(`${graph.name} has no parameter ${unknown.map((u) => `'${u}'`).join(", ")}. Its parameters: ${names}`);
  }
}

export async function resolveParameters(graph: FlowGraph, sources: ParameterSources): Promise<ResolvedParameters> {
  const { given, env, cwd } = sources;
  checkNames(graph, given);
  const raw = (p: ParameterNode): unknown =>
    p.name in given && given[p.name] !== undefined ? given[p.name] : given[p.field] !== undefined ? given[p.field] : env[envName(p.name)];
  // Loading the flow costs a sandbox: only when a computed default is used, or gives the type.
  const needed = graph.parameters.some((p) => p.defaultSource !== undefined && (raw(p) === undefined || p.type === undefined));
  const computed = needed
    ? await evaluateDefaults(graph, { storeRoot: sources.storeRoot, output: sources.output })
    : new Map<string, unknown>();

  const values: Record<string, unknown> = {};
  const included: IncludedFile[] = [];
  for (const p of graph.parameters) {
    const value = raw(p);
    const fallback = "default" in p ? p.default : computed.get(p.field);
    if (p.kind === "includefile") {
      const file = value ?? fallback;
      if (file === undefined) {
        if (p.required) throw new UsageError(`Missing option '--${p.name}': a file to include`);
        continue;
      }
      if (typeof file !== "string") throw new UsageError(`Invalid value for '--${p.name}': a file path is a string, got ${typeof file}`);
      const r = include(p, file, cwd);
      values[p.field] = r.value;
      included.push(r.included);
      continue;
    }
    const type = parameterType(p, computed.get(p.field));
    if (value !== undefined) {
      values[p.field] = convertValue(type, value, `'--${p.name}'`);
    } else if (fallback !== undefined) {
      // A default is converted too: a JSONType default written as a string is parsed.
      values[p.field] = convertValue(type, fallback, `the default of '--${p.name}'`);
    } else if (p.required) {
      throw new UsageError(`Missing option '--${p.name}'${p.help ? ` (${p.help})` : ""}`);
    }
    // An optional parameter without default is simply unset (Metaflow: None).
  }
  return { values, included };
}
