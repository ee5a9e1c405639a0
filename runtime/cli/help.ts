/** Usage text for steplab and for one flow (its parameters and commands). */
import type { FlowGraph } from "../graph/types.js";
import type { OptionSpec } from "./options.js";
import { RESUME_OPTIONS, RUN_OPTIONS } from "./run.js";
import { envName } from "./parameters.js";

export const MAIN_USAGE = `Usage:
  steplab FLOW.ts [COMMAND] [OPTIONS]     run a flow file's command (default: check)
  steplab convert NOTEBOOK.ipynb [-o FLOW.ts] | FLOW.ts [-o NOTEBOOK.ipynb]
  steplab repl [NOTEBOOK.ipynb]           the terminal REPL
  steplab kernel install [--user|--sys-prefix|--prefix DIR]
  steplab runs [FLOW] [--limit N]         recent runs with status and duration
  steplab help | --help

Flow commands: check, show, run, resume, logs, dump, argo-workflows, help.
Datastore: STEPLAB_DATASTORE, else the nearest .steplab/ from here upwards, else ./.steplab
`;

function options(specs: OptionSpec[]): string {
  return specs.map((s) => `    --${s.name}${s.kind === "value" ? " VALUE" : ""}${s.help ? `  ${s.help}` : ""}`).join("\n");
}

export function flowUsage(graph: FlowGraph, file: string): string {
  const params = graph.parameters.map((p) => {
    const type = p.kind === "includefile" ? "FILE" : (p.type ?? "String").toUpperCase();
    const extra = [
      p.help,
      p.required ? "required" : undefined,
      p.default !== undefined ? `default: ${JSON.stringify(p.default)}` : undefined,
      `env ${envName(p.name)}`,
    ]
      .filter(Boolean)
      .join("; ");
    return `    --${p.name} ${type}  ${extra}`;
  });
  return `Usage: steplab ${file} COMMAND [OPTIONS]

${graph.name}${graph.doc ? `: ${graph.doc}` : ""}

Commands:
  check                         validate the graph (the default)
  show                          steps, docstrings and transitions
  run [OPTIONS]                 run the flow
  resume [STEP] [OPTIONS]       a new run reusing the latest run's successful tasks before STEP
  logs RUN/STEP[/TASK]          a task's output (--stdout, --stderr)
  dump RUN/STEP[/TASK]          a task's artifacts (--include a,b, --max-value-size N, --private)
  argo-workflows create --dry-run  an Argo Workflows WorkflowTemplate (YAML; --output FILE, --image, --max-workers, --datastore-root, --secret, --name, --namespace)
  help                          this text

Parameters (options of run):
${params.length ? params.join("\n") : "    (none)"}

Options of run:
${options(RUN_OPTIONS)}

Options of resume:
${options(RESUME_OPTIONS)}
`;
}
