/**
 * Lint rules about the names a flow file uses from "steplab": a helper used without being
 * imported fails with "X is not defined" only when its step runs (a notebook cell has them in
 * scope, a flow file does not), and the helpers that need a notebook's front end fail in any run.
 */
import ts from "typescript";
import { isValueReference, lazyFreeChecker } from "./scope.js";
import { lineAt } from "./syntax.js";
import type { LintProblem } from "./types.js";

/** Names "steplab" exports that flow code calls. */
export const STEPLAB_VALUE_NAMES = [
  "display",
  "current",
  "Flow",
  "Run",
  "Step",
  "Task",
  "Steplab",
  "namespace",
  "registerArtifactClass",
  "DataArtifact",
  "Parameter",
  "IncludeFile",
  "JSONType",
] as const;

/** Helpers that exist only in notebook cells, with what to do instead in a flow file. */
export const NOTEBOOK_ONLY: Readonly<Record<string, string>> = {
  runFlow: "runFlow() runs a flow from a notebook cell; in a flow file, read another flow's results with Flow(NAME).latestSuccessfulRun",
  prompt: "prompt() asks a notebook's front end, which a flow run does not have: make the value a Parameter",
};

export function lintNames(sf: ts.SourceFile): LintProblem[] {
  const problems: LintProblem[] = [];
  const isFree = lazyFreeChecker(sf);
  const imported = steplabImports(sf);
  const reported = new Set<string>();
  const helpers = new Set<string>(STEPLAB_VALUE_NAMES);
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && isValueReference(n)) {
      const name = n.text;
      const line = lineAt(sf, n.getStart(sf));
      if (name in NOTEBOOK_ONLY && (imported.has(name) || isFree(n)) && !reported.has(name)) {
        reported.add(name);
        problems.push({ rule: "notebook-only", line, message: `${NOTEBOOK_ONLY[name]}.` });
      } else if (helpers.has(name) && !reported.has(name) && isFree(n)) {
        reported.add(name);
        problems.push({
          rule: "not-imported",
          line,
          message: `${name} is used but not imported, so the step fails with "${name} is not defined": add it to the import from "steplab" (import { ${name} } from "steplab").`,
        });
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return problems;
}

/** Local names bound by `import { ... } from "steplab"`. */
function steplabImports(sf: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || st.moduleSpecifier.text !== "steplab") continue;
    const named = st.importClause?.namedBindings;
    if (named && ts.isNamedImports(named)) for (const el of named.elements) names.add((el.propertyName ?? el.name).text);
  }
  return names;
}
