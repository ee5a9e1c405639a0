/**
 * Metaflow's namespaces: the client sees only runs carrying the current namespace's tag. The
 * default is `user:NAME` (every run is tagged with the user who started it); `namespace(null)` is
 * the global namespace (every run); `namespace()` returns the current one. Inside a step the
 * default is the user of the run the step belongs to.
 */
import { SteplabError } from "../../errors/index.js";

let explicit: { ns: string | null } | undefined;
let defaultUser: (() => string | undefined) | undefined;

/** Who the default namespace belongs to: the host says it for scripts, the runner for a step. */
export function setDefaultUser(user: string | (() => string | undefined)): void {
  defaultUser = typeof user === "function" ? user : () => user;
}

function defaultNamespaceName(): string | null {
  const user = defaultUser?.();
  // No user known (a host that never said): every run is visible rather than none.
  return user ? `user:${user}` : null;
}

/**
 * `namespace("user:alice")` switches to that namespace, `namespace(null)` to the global one;
 * either way, and with no argument, it returns the namespace now in use.
 */
export function namespace(ns?: string | null): string | null {
  if (ns !== undefined) {
    if (ns !== null && (typeof ns !== "string" || ns.trim() === "")) {
      throw new NamespaceError(`namespace() takes a tag such as "user:alice", or null for every run; got ${JSON.stringify(ns)}`);
    }
    explicit = { ns };
  }
  return getNamespace();
}

/** The namespace now in use (null: every run). */
export function getNamespace(): string | null {
  return explicit ? explicit.ns : defaultNamespaceName();
}

/** Back to the default namespace (`user:NAME`), which it returns. */
export function defaultNamespace(): string | null {
  explicit = undefined;
  return getNamespace();
}

export function inNamespace(tags: readonly string[], ns = getNamespace()): boolean {
  return ns === null || tags.includes(ns);
}

export class NamespaceError extends SteplabError {
  constructor(message: string) {
    super("NAMESPACE", message);
  }
}

/** An object exists, but not in the namespace in use (Metaflow's MetaflowNamespaceMismatch). */
export class NamespaceMismatchError extends SteplabError {
  /** `owners`: the `user:NAME` tags of the runs that do exist. */
  constructor(what: string, ns: string, owners: readonly string[]) {
    const shown = [...new Set(owners)].sort();
    super(
      "NAMESPACE_MISMATCH",
      `${what} is not in namespace '${ns}'${shown.length ? ` (it belongs to ${shown.join(", ")})` : ""}. ` +
        `Call namespace(null) to read every run${shown.length === 1 ? `, or namespace("${shown[0]}")` : ""}.`,
    );
  }
}

/** The `user:NAME` tags among these tags. */
export function owners(tags: readonly string[]): string[] {
  return tags.filter((t) => t.startsWith("user:"));
}
