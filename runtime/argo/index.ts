/** runtime/argo: a flow as an Argo Workflows WorkflowTemplate (`steplab FLOW.ts argo-workflows create`). */
export type {
  ArgoContainer,
  ArgoDagTask,
  ArgoParameter,
  ArgoRetryStrategy,
  ArgoTemplate,
  ArgoWorkflowTemplate,
} from "./types.js";
export { argoName, checkTemplateName, templateName } from "./names.js";
export { OUTPUTS_DIR, RUN_ID } from "./step-template.js";
export {
  buildWorkflowTemplate,
  DEFAULT_IMAGE,
  type BuiltWorkflowTemplate,
  type WorkflowTemplateOptions,
} from "./workflow-template.js";
export { workflowTemplateYaml } from "./yaml.js";
