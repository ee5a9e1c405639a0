/**
 * Flow parameters as workflow parameters: each one a `spec.arguments.parameters` entry with its
 * default, handed to the start step as `--NAME={{workflow.parameters.NAME}}` (only start reads
 * parameters; later steps get them as artifacts, as in a local run).
 */
import type { ParameterNode } from "../graph/index.js";
import type { ArgoParameter } from "./types.js";

export interface FlowArguments {
  parameters: ArgoParameter[];
  /** Options for the start step's command. */
  startArgs: string[];
  /** What a user should know about parameters that cannot be expressed as they are locally. */
  notes: string[];
}

/** Argo parameter values are strings; the start step converts them back by the parameter's type. */
export function parameterValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function describe(p: ParameterNode, extra?: string): string | undefined {
  const text = [p.help, extra].filter(Boolean).join("; ");
  return text || undefined;
}

/**
 * `computed`: the defaults the flow's code gave when it was loaded for the export (by field name),
 * as Metaflow evaluates a deployment's defaults when it deploys.
 */
export function flowArguments(parameters: ParameterNode[], computed: ReadonlyMap<string, unknown> = new Map()): FlowArguments {
  const out: FlowArguments = { parameters: [], startArgs: [], notes: [] };
  for (const p of parameters) {
    let entry: ArgoParameter | undefined;
    if (p.kind === "includefile") {
      const where = "a file path read inside the step's container";
      if (typeof p.default === "string") entry = { name: p.name, value: p.default, description: describe(p, where) };
      else if (p.required) entry = { name: p.name, description: describe(p, `${where}; required when submitting`) };
    } else if (p.hasDefault && p.default !== undefined) {
      entry = { name: p.name, value: parameterValue(p.default), description: describe(p) };
    } else if (p.hasDefault && computed.get(p.field) !== undefined) {
      entry = {
        name: p.name,
        value: parameterValue(computed.get(p.field)),
        description: describe(p, "default computed when the template was written"),
      };
      out.notes.push(
        `parameter '${p.name}' has a computed default: its value now, ${parameterValue(computed.get(p.field))}, is the template's default`,
      );
    } else if (p.hasDefault) {
      // `run` refuses such a parameter unless it is given; Argo does the same for a parameter without a value.
      entry = { name: p.name, description: describe(p, "required when submitting: its default is computed by code") };
      out.notes.push(
        `parameter '${p.name}' has a default steplab cannot read without running code: ` +
          `it must be given when the workflow is submitted (-p ${p.name}=VALUE)`,
      );
    } else if (p.required) {
      entry = { name: p.name, description: describe(p, "required when submitting") };
    }
    if (!entry) {
      // A workflow parameter always has a value once submitted, so "unset" cannot be passed through it.
      out.notes.push(`parameter '${p.name}' has no default and stays unset in Argo runs (Argo has no unset parameter)`);
      continue;
    }
    if (entry.description === undefined) delete entry.description;
    out.parameters.push(entry);
    out.startArgs.push(`--${p.name}={{workflow.parameters.${p.name}}}`);
  }
  return out;
}
