/**
 * The locals a cell declares at its top level: invisible to other cells, so a cell that reads one
 * gets an error naming the cell that declares it. A local computed with the client API (a `Run`,
 * a `Task`) is named with its expression, since any cell can compute it again, while a client
 * object cannot be stored as an artifact.
 */
import ts from "typescript";
import { memoize } from "../support/index.js";

export interface CellLocals {
  names: readonly string[];
  /** Local -> its initializer, for locals computed from the client API (`Flow("X").latestRun!`). */
  clientExpressions: Readonly<Record<string, string>>;
}

const CLIENT_ROOTS = new Set(["Flow", "Run", "Step", "Task", "Steplab", "runFlow"]);

/** The identifier a chain of calls, property reads, `await`s and `!`s starts from. */
function rootOf(e: ts.Expression): string | undefined {
  for (;;) {
    if (ts.isIdentifier(e)) return e.text;
    if (
      ts.isAwaitExpression(e) ||
      ts.isNonNullExpression(e) ||
      ts.isParenthesizedExpression(e) ||
      ts.isAsExpression(e) ||
      ts.isSatisfiesExpression(e) ||
      ts.isPropertyAccessExpression(e) ||
      ts.isElementAccessExpression(e) ||
      ts.isCallExpression(e) ||
      ts.isNewExpression(e)
    ) {
      e = e.expression;
    } else return undefined;
  }
}

export const cellLocals = memoize((code: string): CellLocals => {
  const sf = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const names: string[] = [];
  const clientExpressions: Record<string, string> = {};
  const bind = (name: ts.BindingName) => {
    if (ts.isIdentifier(name)) names.push(name.text);
    else for (const el of name.elements) if (!ts.isOmittedExpression(el)) bind(el.name);
  };
  for (const stmt of sf.statements) {
    if (ts.isVariableStatement(stmt)) {
      for (const d of stmt.declarationList.declarations) {
        bind(d.name);
        const root = d.initializer && rootOf(d.initializer);
        if (ts.isIdentifier(d.name) && root !== undefined && CLIENT_ROOTS.has(root)) {
          clientExpressions[d.name.text] = d.initializer!.getText(sf);
        }
      }
    } else if ((ts.isFunctionDeclaration(stmt) || ts.isClassDeclaration(stmt)) && stmt.name) names.push(stmt.name.text);
  }
  return { names, clientExpressions };
}, 256);
