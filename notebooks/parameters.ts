/**
 * Parameters cells: `const name = literal` lines that become the flow's `Parameter`s.
 *
 *   /** Specify an animal *\/          -> help
 *   const animal = "dog";
 *   /** @name creature *\/              -> the command-line name when it differs from the field
 *   const animal2 = "cat";
 *   /** @type JSONType @required *\/    -> an explicit type; required (the value is then ignored)
 */
import ts from "typescript";
import { DirectiveError } from "./errors.js";

export type ParameterType = "String" | "Number" | "Boolean" | "JSONType";

export interface ParameterSpec {
  /** The name cells use (a class field of the flow). */
  name: string;
  /** The command-line and artifact name, when it differs from `name`. */
  cliName?: string;
  default: unknown;
  /** The default as written in the cell, e.g. `["a", "b"]`. */
  source: string;
  type: ParameterType;
  help?: string;
  required?: boolean;
  /** 1-based line in the text given to parseParametersCell. */
  line: number;
}

const TYPES: readonly string[] = ["String", "Number", "Boolean", "JSONType"];

const FORM = "write `const name = value` with a literal value (string, number, boolean, array or object)";

class NotLiteral extends Error {}

function literal(e: ts.Expression): unknown {
  if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) return literal(e.expression);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (ts.isPrefixUnaryExpression(e) && ts.isNumericLiteral(e.operand)) {
    if (e.operator === ts.SyntaxKind.MinusToken) return -Number(e.operand.text);
    if (e.operator === ts.SyntaxKind.PlusToken) return Number(e.operand.text);
  }
  if (e.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (e.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (e.kind === ts.SyntaxKind.NullKeyword) return null;
  if (ts.isArrayLiteralExpression(e)) return e.elements.map((x) => literal(x));
  if (ts.isObjectLiteralExpression(e)) {
    const out: Record<string, unknown> = {};
    for (const p of e.properties) {
      if (!ts.isPropertyAssignment(p)) throw new NotLiteral();
      const key = p.name;
      if (ts.isIdentifier(key) || ts.isStringLiteral(key) || ts.isNumericLiteral(key)) out[key.text] = literal(p.initializer);
      else throw new NotLiteral();
    }
    return out;
  }
  throw new NotLiteral();
}

function inferType(value: unknown): ParameterType {
  if (typeof value === "number") return "Number";
  if (typeof value === "string") return "String";
  if (typeof value === "boolean") return "Boolean";
  return "JSONType";
}

interface DocInfo {
  help?: string;
  cliName?: string;
  type?: ParameterType;
  required?: boolean;
}

function jsDocInfo(node: ts.Node, line: number): DocInfo {
  const info: DocInfo = {};
  for (const doc of ts.getJSDocCommentsAndTags(node)) {
    if (!ts.isJSDoc(doc)) continue;
    const text = ts.getTextOfJSDocComment(doc.comment)?.trim();
    if (text) info.help = text;
    for (const tag of doc.tags ?? []) {
      const name = tag.tagName.text;
      const value = (ts.getTextOfJSDocComment(tag.comment) ?? "").trim();
      if (name === "name") {
        if (!/^[A-Za-z_][\w-]*$/.test(value)) throw new DirectiveError(`parameters cell, line ${line}: @name needs a parameter name`, line);
        info.cliName = value;
      } else if (name === "type") {
        // TypeScript reads `@type X` as a type expression; take its text either way.
        const t = ts.isJSDocTypeTag(tag) ? tag.typeExpression.type.getText() : value;
        if (!TYPES.includes(t))
          throw new DirectiveError(`parameters cell, line ${line}: @type must be one of ${TYPES.join(", ")} (got "${t}")`, line);
        info.type = t as ParameterType;
      } else if (name === "required") info.required = true;
    }
  }
  return info;
}

/**
 * Reads a parameters cell body. Only `const name = literal` declarations (with optional doc
 * comments) are allowed; anything else is a DirectiveError naming the line and the fix.
 */
export function parseParametersCell(body: string): ParameterSpec[] {
  const sf = ts.createSourceFile("parameters.ts", body, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lineOf = (n: ts.Node): number => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const diag = (sf as unknown as { parseDiagnostics?: ts.Diagnostic[] }).parseDiagnostics?.[0];
  if (diag) {
    const line = sf.getLineAndCharacterOfPosition(diag.start ?? 0).line + 1;
    throw new DirectiveError(`parameters cell, line ${line}: ${ts.flattenDiagnosticMessageText(diag.messageText, " ")}`, line);
  }
  const out: ParameterSpec[] = [];
  for (const stmt of sf.statements) {
    const line = lineOf(stmt);
    const text = stmt.getText(sf).split("\n")[0];
    if (!ts.isVariableStatement(stmt) || !(stmt.declarationList.flags & ts.NodeFlags.Const)) {
      throw new DirectiveError(`parameters cell, line ${line}: \`${text}\` is not a parameter: ${FORM}`, line);
    }
    const info = jsDocInfo(stmt, line);
    for (const d of stmt.declarationList.declarations) {
      const dLine = lineOf(d);
      if (!ts.isIdentifier(d.name) || d.initializer === undefined) {
        throw new DirectiveError(`parameters cell, line ${dLine}: \`${d.getText(sf)}\` is not a parameter: ${FORM}`, dLine);
      }
      let value: unknown;
      try {
        value = literal(d.initializer);
      } catch (e) {
        if (!(e instanceof NotLiteral)) throw e;
        throw new DirectiveError(
          `parameters cell, line ${dLine}: the value of ${d.name.text} (\`${d.initializer.getText(sf)}\`) is not a literal: ${FORM}; compute derived values in a step`,
          dLine,
        );
      }
      const name = d.name.text;
      if (out.some((p) => p.name === name)) {
        throw new DirectiveError(`parameters cell, line ${dLine}: parameter ${d.name.text} is defined twice`, dLine);
      }
      out.push({
        name: d.name.text,
        ...(info.cliName !== undefined && info.cliName !== d.name.text ? { cliName: info.cliName } : {}),
        default: value,
        source: d.initializer.getText(sf),
        type: info.type ?? inferType(value),
        ...(info.help !== undefined ? { help: info.help } : {}),
        ...(info.required ? { required: true } : {}),
        line: dLine,
      });
    }
  }
  return out;
}
