/**
 * What an artifact may be called. Names are stored as keys of a task's record and shown in
 * pathspecs (`Flow/run/step/task/NAME`), so they are identifiers as a step writes them
 * (`this.NAME`), of a bounded length, and never one of the names steplab records for itself.
 */

/** The fields steplab records on every task (`dump --private` shows them): no step may set them. */
export const RECORDED_NAMES = [
  "_status",
  "_attempt",
  "_pid",
  "_started_at",
  "_finished_at",
  "_transition",
  "_foreach_stack",
  "_inputs",
  "_origin_pathspec",
  "_reused_from",
  "_exception",
] as const;

export const MAX_ARTIFACT_NAME_LENGTH = 256;

const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;
const recorded = new Set<string>(RECORDED_NAMES);

/** Why `name` cannot be an artifact's name, or undefined when it can. */
export function artifactNameProblem(name: string): string | undefined {
  if (name.length === 0) return "an artifact needs a name";
  if (name.length > MAX_ARTIFACT_NAME_LENGTH) {
    return `it is ${name.length} characters long; artifact names have at most ${MAX_ARTIFACT_NAME_LENGTH}`;
  }
  if (recorded.has(name)) return `steplab records '${name}' on every task itself (see dump --private): choose another name`;
  if (name.startsWith("__")) return "names starting with '__' are steplab's and JavaScript's own: choose another name";
  if (!IDENTIFIER.test(name)) {
    return "artifact names are identifiers (letters, digits, _ and $, not starting with a digit), as in this.NAME";
  }
  return undefined;
}

/** A name as an error message can show it: escaped, and cut when it is long. */
export function showName(name: string): string {
  const cut = name.length > 60 ? `${name.slice(0, 40)}…` : name;
  return JSON.stringify(cut).slice(1, -1);
}
