/** The template as YAML, with a header saying where it came from and how to deploy it. */
import { Document } from "yaml";
import type { ArgoWorkflowTemplate } from "./types.js";

export function workflowTemplateYaml(template: ArgoWorkflowTemplate, header?: string): string {
  const doc = new Document(template);
  if (header) doc.commentBefore = header.replace(/^/gm, " ");
  // No folding: a folded command line is valid YAML but hard to read and to diff.
  return doc.toString({ lineWidth: 0 });
}
