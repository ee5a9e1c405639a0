/** Usage text for steplab and for one flow (its parameters and commands). */
import type { FlowGraph } from "../runtime/graph/index.js";
import type { ParameterSummary } from "../runtime/parameters/index.js";
import type { OptionSpec } from "./options.js";
import { RESUME_OPTIONS, RUN_OPTIONS } from "./run.js";
import { REMOTE_RUN_OPTIONS } from "./remote-run.js";

export { MAIN_USAGE } from "./main-usage.js";

function options(specs: OptionSpec[]): string {
  return specs.map((s) => `    --${s.name}${s.kind === "value" ? " VALUE" : ""}${s.help ? `  ${s.help}` : ""}`).join("\n");
}

function describeDefault(d: ParameterSummary["default"]): string | undefined {
  if (!d) return undefined;
  if ("value" in d) return `default: ${JSON.stringify(d.value)}`;
  return `default: computed by ${d.source} (could not be evaluated: ${d.problem})`;
}

/** `parameters`: from runtime/parameters' summarizeParameters (computed defaults evaluated). */
export function flowUsage(graph: FlowGraph, file: string, parameters: ParameterSummary[]): string {
  const params = parameters.map((s) => {
    const p = s.node;
    const extra = [p.help, p.required ? "required" : undefined, describeDefault(s.default), `env ${s.env}`].filter(Boolean).join("; ");
    return `    --${p.name} ${s.type.toUpperCase()}  ${extra}`;
  });
  return `Usage: steplab ${file} COMMAND [OPTIONS]

${graph.name}${graph.doc ? `: ${graph.doc}` : ""}

Commands:
  check                         validate the graph (the default)
  show [--svg [-o FILE.svg]]    steps, docstrings and transitions (--svg: the DAG as an SVG picture)
  run [OPTIONS]                 run the flow
  resume [STEP] [OPTIONS]       a new run reusing the latest run's successful tasks before STEP
  spin STEP|RUN/STEP/TASK       run one step on a past task's inputs with the code as it is now
                                (--artifacts FILE.json, --persist); records nothing unless --persist
  logs RUN/STEP[/TASK]          a task's output (--stdout, --stderr)
  dump RUN/STEP[/TASK]          a task's artifacts (--include a,b, --max-value-size N, --private)
  card RUN/STEP[/TASK] [-o FILE.html]
                                a task's card: one HTML page of its artifacts, displays, logs and DAG
  step STEP --run-id ID [--input-paths P] [--split-index I] [--retry-count N] [--outputs-dir DIR]
                                run one task of a run (what each Argo pod runs; start takes the parameters)
  argo-workflows create --dry-run  an Argo Workflows WorkflowTemplate (YAML; --output FILE, --image, --max-workers, --datastore-root, --secret, --name, --namespace)
  help                          this text

Parameters (options of run):
${params.length ? params.join("\n") : "    (none)"}

Options of run:
${options([...RUN_OPTIONS, ...REMOTE_RUN_OPTIONS])}

Options of resume:
${options([...RESUME_OPTIONS, ...REMOTE_RUN_OPTIONS])}
`;
}
