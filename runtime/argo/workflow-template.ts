/**
 * A flow as an Argo Workflows WorkflowTemplate: one container template per step, one DAG template
 * for the flow (the entrypoint) and one per foreach body of more than one step. Dependencies follow
 * the flow's transitions, so a join waits for every branch; a foreach fans out with `withParam`
 * over its step's `split-indices` output; `parallelism` caps the pods of a run like --max-workers.
 */
import { parentsOf, type FlowGraph } from "../graph/index.js";
import { layoutOf, sameLevel, type ForeachBody, type Layout } from "./layout.js";
import { argoName, NameAllocator, templateName } from "./names.js";
import { flowArguments } from "./parameters.js";
import { stepTemplate, type StepContainerOptions } from "./step-template.js";
import type { ArgoDagTask, ArgoParameter, ArgoTemplate, ArgoWorkflowTemplate } from "./types.js";

export interface WorkflowTemplateOptions extends Partial<StepContainerOptions> {
  /** The flow file as the container sees it (default: the graph's file name). */
  flowFile?: string;
  /** Most pods at once (Argo's spec.parallelism). */
  maxWorkers: number;
  /** metadata.name (default: the flow's name in lower case). */
  name?: string;
  namespace?: string;
  /** Recorded in an annotation. */
  version?: string;
  /** Tags every run gets (the start step's --tag options). */
  tags?: string[];
  /** Parameter defaults the flow's code computed when it was loaded for the export, by field name. */
  computedDefaults?: ReadonlyMap<string, unknown>;
}

export interface BuiltWorkflowTemplate {
  template: ArgoWorkflowTemplate;
  /** Things a user should know about this translation (printed as warnings by the CLI). */
  notes: string[];
}

export const DEFAULT_IMAGE = "steplab:latest";

const taskId = (task: string): string => `{{tasks.${task}.outputs.parameters.task-id}}`;

class Builder {
  readonly layout: Layout;
  private readonly names: NameAllocator;
  /** Foreach step -> the DAG task (and template) that runs its body per item. */
  private readonly fanOut = new Map<string, string>();
  private readonly dagTemplates: ArgoTemplate[] = [];

  constructor(private readonly graph: FlowGraph) {
    this.layout = layoutOf(graph);
    this.names = new NameAllocator(graph.steps.map((s) => argoName(s.name)));
    for (const body of this.layout.bodies.values()) {
      this.fanOut.set(body.split, body.single ? argoName(body.first) : this.names.take(`${argoName(body.first)}-foreach`));
    }
  }

  entrypoint(): string {
    const name = this.names.take(templateName(this.graph.name) || "flow");
    this.dagTemplates.unshift({ name, dag: { tasks: this.tasksAt([]) } });
    return name;
  }

  templates(): ArgoTemplate[] {
    return this.dagTemplates;
  }

  private levelOf(step: string): string[] {
    return this.layout.levels.get(step) ?? [];
  }

  /** The task at `level` that stands for `parent`: itself, or the fan-out of the foreach it ends. */
  private parentTask(parent: string, level: string[]): { task: string; gathered: boolean } | undefined {
    const at = this.levelOf(parent);
    if (sameLevel(at, level)) return { task: argoName(parent), gathered: false };
    if (at.length > level.length) return { task: this.fanOut.get(at[level.length]!)!, gathered: true };
    return undefined; // the first step of a body: its parent is the foreach step, outside this DAG
  }

  private stepTask(step: string, level: string[]): ArgoDagTask {
    const task: ArgoDagTask = { name: argoName(step), template: argoName(step) };
    const deps: string[] = [];
    const paths: string[] = [];
    for (const parent of parentsOf(this.graph, step)) {
      const p = this.parentTask(parent, level);
      if (!p) {
        paths.push("{{inputs.parameters.input-paths}}");
        continue;
      }
      if (!deps.includes(p.task)) deps.push(p.task);
      // A fanned-out task's `outputs.parameters` is Argo's aggregate over its items (as Metaflow reads it).
      paths.push(p.gathered ? `${parent}/:{{tasks.${p.task}.outputs.parameters}}` : `${parent}/${taskId(p.task)}`);
    }
    if (deps.length) task.dependencies = deps;
    const args: ArgoParameter[] = [];
    if (paths.length) args.push({ name: "input-paths", value: paths.join(",") });
    if (this.layout.firstOf.has(step)) args.push({ name: "split-index", value: "{{inputs.parameters.split-index}}" });
    if (args.length) task.arguments = { parameters: args };
    return task;
  }

  /**
   * The task that runs a foreach body once per item of the foreach step's split-indices: the body's
   * DAG template, or for a one-step body that step's own template.
   */
  private fanOutTask(body: ForeachBody, level: string[]): ArgoDagTask {
    const name = this.fanOut.get(body.split)!;
    const split = argoName(body.split);
    if (!body.single) this.bodyTemplate(body, name, [...level, body.split]);
    return {
      name,
      template: name,
      dependencies: [split],
      withParam: `{{tasks.${split}.outputs.parameters.split-indices}}`,
      arguments: {
        parameters: [
          { name: "input-paths", value: `${body.split}/${taskId(split)}` },
          { name: "split-index", value: "{{item}}" },
        ],
      },
    };
  }

  private bodyTemplate(body: ForeachBody, name: string, level: string[]): void {
    this.dagTemplates.push({
      name,
      inputs: { parameters: [{ name: "input-paths" }, { name: "split-index" }] },
      // What the join reads: the last step's task id, gathered by Argo over the items.
      outputs: { parameters: [{ name: "task-id", valueFrom: { parameter: taskId(argoName(body.last)) } }] },
      dag: { tasks: this.tasksAt(level) },
    });
  }

  private tasksAt(level: string[]): ArgoDagTask[] {
    const tasks: ArgoDagTask[] = [];
    for (const step of this.graph.steps) {
      const at = this.layout.levels.get(step.name);
      if (!at || !sameLevel(at, level)) continue;
      tasks.push(this.stepTask(step.name, level));
      const body = this.layout.bodies.get(step.name);
      if (body) tasks.push(this.fanOutTask(body, level));
    }
    return tasks;
  }
}

/** Builds the WorkflowTemplate of a lint-clean flow graph. */
export function buildWorkflowTemplate(graph: FlowGraph, opts: WorkflowTemplateOptions): BuiltWorkflowTemplate {
  const notes: string[] = [];
  const flowArgs = flowArguments(graph.parameters, opts.computedDefaults);
  notes.push(...flowArgs.notes);
  const container: StepContainerOptions = {
    image: opts.image ?? DEFAULT_IMAGE,
    flowFile: opts.flowFile ?? graph.file.split(/[\\/]/).pop()!,
    datastoreRoot: opts.datastoreRoot,
    secrets: opts.secrets ?? [],
  };
  if (!container.datastoreRoot) {
    notes.push(
      "no shared datastore: each pod would keep its artifacts to itself; give --datastore-root s3://BUCKET/PREFIX " +
        "(or set STEPLAB_DATASTORE=s3://...) so the steps of a run can read each other's artifacts",
    );
  }

  const builder = new Builder(graph);
  const entrypoint = builder.entrypoint();
  const layout = builder.layout;
  const stepTemplates = graph.steps
    .filter((s) => layout.levels.has(s.name))
    .map((s) =>
      stepTemplate(
        s,
        {
          hasInputs: s.name !== "start",
          takesSplitIndex: layout.firstOf.has(s.name),
          startArgs: s.name === "start" ? [...(opts.tags ?? []).flatMap((t) => ["--tag", t]), ...flowArgs.startArgs] : [],
        },
        container,
      ),
    );

  const template: ArgoWorkflowTemplate = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "WorkflowTemplate",
    metadata: {
      name: opts.name ?? templateName(graph.name),
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      labels: { "app.kubernetes.io/managed-by": "steplab" },
      annotations: {
        "steplab/flow-name": graph.name,
        "steplab/flow-file": container.flowFile,
        ...(opts.version ? { "steplab/version": opts.version } : {}),
      },
    },
    spec: {
      entrypoint,
      parallelism: opts.maxWorkers,
      ...(flowArgs.parameters.length ? { arguments: { parameters: flowArgs.parameters } } : {}),
      templates: [...builder.templates(), ...stepTemplates],
    },
  };
  return { template, notes };
}
