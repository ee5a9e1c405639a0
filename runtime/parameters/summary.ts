/**
 * What `help` says of each parameter: its type and default as a run would see them. Computed
 * defaults are evaluated (the flow is loaded, as Metaflow's help does); if that fails, help says
 * so and shows the default's source instead.
 */
import type { FlowGraph, ParameterNode, ParameterType } from "../graph/index.js";
import { convertValue } from "./convert.js";
import { evaluateDefaults, hasComputedDefaults } from "./defaults.js";
import { envName, parameterType } from "./resolve.js";

export interface ParameterSummary {
  node: ParameterNode;
  type: ParameterType | "FILE";
  /** The default as a run would take it, when there is one. */
  default?: { value: unknown } | { source: string; problem: string };
  env: string;
}

/** The default converted as a run converts it (a JSONType string parsed); as written if it does not convert. */
function asRunTakesIt(type: ParameterType, value: unknown): unknown {
  try {
    return convertValue(type, value, "the default");
  } catch {
    return value;
  }
}

export async function summarizeParameters(graph: FlowGraph, storeRoot: string): Promise<ParameterSummary[]> {
  let computed = new Map<string, unknown>();
  let problem: string | undefined;
  if (hasComputedDefaults(graph)) {
    try {
      computed = await evaluateDefaults(graph, { storeRoot });
    } catch (err) {
      // The first line of what the flow's code threw (the message says where it was loading).
      const lines = (err as Error).message.split("\n");
      problem = (lines[1] ?? lines[0] ?? "").trim();
    }
  }
  return graph.parameters.map((p) => {
    const type = parameterType(p, computed.get(p.field));
    let def: ParameterSummary["default"];
    const value = "default" in p ? p.default : computed.get(p.field);
    if (value !== undefined) def = { value: p.kind === "includefile" ? value : asRunTakesIt(type, value) };
    else if (p.defaultSource !== undefined && problem) def = { source: p.defaultSource, problem };
    return {
      node: p,
      type: p.kind === "includefile" ? "FILE" : type,
      ...(def ? { default: def } : {}),
      env: envName(p.name),
    };
  });
}
