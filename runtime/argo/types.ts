/**
 * The part of Argo Workflows' resource model that steplab writes (field names as in Argo's
 * published schema, io.argoproj.workflow.v1alpha1.*), so a typo is a type error, not a template
 * that Argo rejects at submit time.
 */

export interface ArgoParameter {
  name: string;
  value?: string;
  description?: string;
  valueFrom?: { path?: string; parameter?: string };
}

export interface ArgoDagTask {
  name: string;
  template: string;
  dependencies?: string[];
  withParam?: string;
  arguments?: { parameters: ArgoParameter[] };
}

export interface ArgoContainer {
  image: string;
  command: string[];
  args: string[];
  env?: { name: string; value: string }[];
  envFrom?: { secretRef: { name: string } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

export interface ArgoRetryStrategy {
  /** Retries after the first attempt (Argo's IntOrString; steplab writes an integer). */
  limit: number;
  retryPolicy: "Always" | "OnFailure" | "OnError" | "OnTransientError";
}

export interface ArgoTemplate {
  name: string;
  inputs?: { parameters: ArgoParameter[] };
  outputs?: { parameters: ArgoParameter[] };
  dag?: { tasks: ArgoDagTask[] };
  container?: ArgoContainer;
  retryStrategy?: ArgoRetryStrategy;
  /** Seconds (Argo's IntOrString; steplab writes an integer). */
  activeDeadlineSeconds?: number;
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

export interface ArgoWorkflowTemplate {
  apiVersion: "argoproj.io/v1alpha1";
  kind: "WorkflowTemplate";
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    entrypoint: string;
    parallelism: number;
    arguments?: { parameters: ArgoParameter[] };
    templates: ArgoTemplate[];
  };
}
