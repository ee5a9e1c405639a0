/**
 * Argo names. Template and DAG task names must match [a-zA-Z0-9][-a-zA-Z0-9]* (no `_`), and a
 * WorkflowTemplate's metadata.name is a Kubernetes DNS-1123 subdomain, so steplab's names are
 * spelled the way Metaflow spells them for Argo: lower case, `_` as `-`.
 */
import { UsageError } from "../../errors/index.js";

/** The Argo name of a step: `join_inner` -> `join-inner` (one-to-one: step names have no `-`). */
export function argoName(step: string): string {
  return step.replace(/_/g, "-");
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** `CounterBranchFlow` -> `counterbranchflow`, as Metaflow names a flow's template. */
export function templateName(flowName: string): string {
  return flowName
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 253);
}

/** Checks a name given with --name, which Kubernetes would otherwise reject at submit time. */
export function checkTemplateName(name: string): string {
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    throw new UsageError(
      `Invalid value for --name: '${name}' is not a Kubernetes name (lower-case letters, digits, '-' and '.', ` +
        `starting and ending with a letter or digit)`,
    );
  }
  return name;
}

/** Hands out names unique within one template: the steps' own names first, then derived ones. */
export class NameAllocator {
  private readonly taken = new Set<string>();

  constructor(reserved: Iterable<string>) {
    for (const name of reserved) this.taken.add(name);
  }

  take(base: string): string {
    let name = base;
    for (let n = 2; this.taken.has(name); n++) name = `${base}-${n}`;
    this.taken.add(name);
    return name;
  }
}
