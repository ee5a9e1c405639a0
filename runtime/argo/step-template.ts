/**
 * One container template per step. Its container runs that one task, the way Metaflow's Argo pods
 * run `python flow.py step NAME ...`:
 *
 *   npx steplab FLOW.ts step STEP --run-id argo-{{workflow.name}} --outputs-dir /tmp/steplab
 *       [--input-paths PATHS] [--split-index I] [--retry-count {{retries}}] [--PARAM=VALUE ...]
 *
 * The task picks its own task id and writes it to OUTPUTS_DIR/task-id; a foreach step also writes
 * OUTPUTS_DIR/split-indices, the JSON list [0, 1, ...] that Argo fans its body out over. The task id
 * should follow from the run, step, input paths and split index, so that a retried pod (a new
 * attempt, --retry-count) keeps its task. Input paths are `STEP/TASK` separated by commas, or for
 * the one parent of a foreach join `STEP/:[{"task-id":"T1"},{"task-id":"T2"},...]`: Argo's
 * aggregate of the output parameters of the tasks it fanned out.
 */
import type { StepNode } from "../graph/index.js";
import { argoName } from "./names.js";
import type { ArgoContainer, ArgoParameter, ArgoTemplate } from "./types.js";

/** Where a step's container leaves the values Argo reads back as output parameters. */
export const OUTPUTS_DIR = "/tmp/steplab";
/** One run per submitted workflow, named after it (Metaflow: argo-{{workflow.name}}). */
export const RUN_ID = "argo-{{workflow.name}}";
/** Room for the container to start before its own timeout begins to count. */
const DEADLINE_SLACK_SECONDS = 60;

export interface StepContainerOptions {
  image: string;
  /** The flow file as the container sees it, relative to its working directory. */
  flowFile: string;
  /** STEPLAB_DATASTORE for every step: the shared datastore (s3://...). */
  datastoreRoot?: string;
  /** Kubernetes secrets whose keys become environment variables (credentials, STEPLAB_DB_URL). */
  secrets: string[];
}

export interface StepRole {
  /** The step takes input paths (every step but start). */
  hasInputs: boolean;
  /** The step is the first of a foreach body and takes the item's index. */
  takesSplitIndex: boolean;
  /** Options only the start step gets: the flow's parameters. */
  startArgs: string[];
}

const param = (name: string): string => `{{inputs.parameters.${name}}}`;

function container(step: StepNode, role: StepRole, opts: StepContainerOptions): ArgoContainer {
  const args = [opts.flowFile, "step", step.name, "--run-id", RUN_ID, "--outputs-dir", OUTPUTS_DIR];
  if (role.hasInputs) args.push("--input-paths", param("input-paths"));
  if (role.takesSplitIndex) args.push("--split-index", param("split-index"));
  if ((step.options.retries ?? 0) > 0) args.push("--retry-count", "{{retries}}");
  args.push(...role.startArgs);
  const c: ArgoContainer = { image: opts.image, command: ["npx", "steplab"], args };
  if (opts.datastoreRoot) c.env = [{ name: "STEPLAB_DATASTORE", value: opts.datastoreRoot }];
  if (opts.secrets.length) c.envFrom = opts.secrets.map((name) => ({ secretRef: { name } }));
  // A request, not a limit: the step enforces its own memory limit with a clear error, which a
  // pod killed by the kernel at the same number would never get to print.
  if (step.options.memoryMb !== undefined) c.resources = { requests: { memory: `${step.options.memoryMb}Mi` } };
  return c;
}

export function stepTemplate(step: StepNode, role: StepRole, opts: StepContainerOptions): ArgoTemplate {
  const inputs: ArgoParameter[] = [];
  if (role.hasInputs) inputs.push({ name: "input-paths" });
  if (role.takesSplitIndex) inputs.push({ name: "split-index" });
  const outputs: ArgoParameter[] = [{ name: "task-id", valueFrom: { path: `${OUTPUTS_DIR}/task-id` } }];
  if (step.foreach !== undefined) outputs.push({ name: "split-indices", valueFrom: { path: `${OUTPUTS_DIR}/split-indices` } });

  const t: ArgoTemplate = { name: argoName(step.name) };
  if (inputs.length) t.inputs = { parameters: inputs };
  t.outputs = { parameters: outputs };
  t.container = container(step, role, opts);
  const retries = step.options.retries ?? 0;
  // Always: a pod lost with its node is retried too, not only a step that threw.
  if (retries > 0) t.retryStrategy = { limit: retries, retryPolicy: "Always" };
  // A backstop for a hung process; the step's own timeout is the one a user sees.
  if (step.options.timeoutSeconds !== undefined) t.activeDeadlineSeconds = step.options.timeoutSeconds + DEADLINE_SLACK_SECONDS;
  return t;
}
