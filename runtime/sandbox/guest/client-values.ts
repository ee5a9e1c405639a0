/**
 * Client objects (Flow, Run, Step, Task, DataArtifact) read the store on demand: they are views,
 * not values, and cannot be stored as artifacts. Found before the copy fails, so the error names
 * the artifact and says what to store instead: what identifies the object, its pathspec.
 */
import { DataArtifact, Flow, Run, Steplab, Step, Task } from "../../client/index.js";
import { GuestError } from "./errors.js";

const CLIENT_CLASSES = [
  ["Flow", Flow],
  ["Run", Run],
  ["Step", Step],
  ["Task", Task],
  ["DataArtifact", DataArtifact],
  ["Steplab", Steplab],
] as const;

function clientKind(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  return CLIENT_CLASSES.find(([, cls]) => value instanceof (cls as unknown as abstract new (...a: never[]) => unknown))?.[0];
}

/** The first client object in `value` (itself, or inside arrays, Maps, Sets and plain objects, a few levels deep). */
function findClient(value: unknown, path: string, depth: number): { kind: string; path: string; pathspec?: string } | undefined {
  const kind = clientKind(value);
  if (kind) {
    const pathspec = (value as { pathspec?: unknown }).pathspec;
    return { kind, path, ...(typeof pathspec === "string" ? { pathspec } : {}) };
  }
  if (depth === 0 || typeof value !== "object" || value === null) return undefined;
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.slice(0, 100).map((v, i) => [`${path}[${i}]`, v])
    : value instanceof Map
      ? [...value.entries()].slice(0, 100).map(([k, v]) => [`${path}.get(${JSON.stringify(k)})`, v])
      : value instanceof Set
        ? [...value].slice(0, 100).map((v) => [`${path} (a Set)`, v])
        : Object.getPrototypeOf(value) === Object.prototype
          ? Object.entries(value)
              .slice(0, 100)
              .map(([k, v]) => [`${path}.${k}`, v])
          : [];
  for (const [p, v] of entries) {
    const found = findClient(v, p, depth - 1);
    if (found) return found;
  }
  return undefined;
}

/** A client object assigned to `this`: named like every unstorable artifact, with its own advice. */
class ClientObjectArtifactError extends GuestError {
  constructor(message: string) {
    super("UNSTORABLE_ARTIFACT", message);
    this.name = "UnstorableArtifactError";
  }
}

/** Throws when `value`, assigned to `this.NAME`, is or holds a client object. */
export function refuseClientObjects(name: string, step: string, value: unknown): void {
  const found = findClient(value, `self.${name}`, 3);
  if (!found) return;
  const whole = found.path === `self.${name}`;
  const what = `${whole ? "it is" : `${found.path} is`} a client ${found.kind}${found.pathspec ? ` ('${found.pathspec}')` : ""}`;
  const reader = found.kind === "Steplab" ? "Flow" : found.kind;
  const instead =
    found.kind === "DataArtifact"
      ? "store its value instead (.data)"
      : whole
        ? `store what identifies it instead, its pathspec (self.${name} = <the ${found.kind}>.pathspec), and read it back with ${reader}(self.${name})`
        : `store pathspecs instead (the .pathspec of each) and read them back with ${reader}(pathspec)`;
  throw new ClientObjectArtifactError(
    `Artifact '${name}' of step '${step}' cannot be stored: ${what}, a view of the store rather than a value. To keep it, ${instead}.`,
  );
}
