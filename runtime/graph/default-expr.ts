/**
 * What can be known of a parameter's default without running the flow: its value when it is a
 * literal or a module constant holding one, else the type its expression's shape gives
 * (`Number(...)`, a template string, `process.env.X ?? "a"`). The value of anything computed is
 * known only when the flow loads (runtime/parameters evaluates it).
 */
import ts from "typescript";
import { typeOfValue } from "../support/index.js";
import { evaluateLiteral } from "./literal.js";
import type { ParameterType } from "./types.js";

export interface StaticDefault {
  /** Set when the value is known without running anything. */
  value?: { of: unknown };
  type?: ParameterType;
}

/** The initializer of a top-level `const NAME = ...`, if the module has one. */
function moduleConstant(sf: ts.SourceFile, name: string): ts.Expression | undefined {
  for (const stmt of sf.statements) {
    if (!ts.isVariableStatement(stmt) || !(stmt.declarationList.flags & ts.NodeFlags.Const)) continue;
    for (const d of stmt.declarationList.declarations) {
      if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer) return d.initializer;
    }
  }
  return undefined;
}

const CONVERTERS: Record<string, ParameterType> = {
  Number: "Number",
  parseInt: "Number",
  parseFloat: "Number",
  String: "String",
  Boolean: "Boolean",
};

function isProcessEnv(e: ts.Expression): boolean {
  const target = ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e) ? e.expression : undefined;
  return !!target && ts.isPropertyAccessExpression(target) && target.name.text === "env" && target.expression.getText() === "process";
}

function same(a: ParameterType | undefined, b: ParameterType | undefined): ParameterType | undefined {
  return a === b ? a : undefined;
}

export function staticDefault(expr: ts.Expression, sf: ts.SourceFile, depth = 0): StaticDefault {
  const literal = evaluateLiteral(expr);
  if (literal.ok) return { value: { of: literal.value }, type: typeOfValue(literal.value) };
  if (depth > 8) return {};
  const inner = (e: ts.Expression) => staticDefault(e, sf, depth + 1);
  if (ts.isParenthesizedExpression(expr) || ts.isAsExpression(expr) || ts.isSatisfiesExpression(expr) || ts.isNonNullExpression(expr)) {
    return inner(expr.expression);
  }
  if (ts.isIdentifier(expr)) {
    const init = moduleConstant(sf, expr.text);
    return init ? inner(init) : {};
  }
  if (ts.isArrowFunction(expr) && !ts.isBlock(expr.body)) return { type: inner(expr.body).type };
  if (ts.isTemplateExpression(expr)) return { type: "String" };
  if (isProcessEnv(expr)) return { type: "String" };
  if (ts.isCallExpression(expr)) {
    const callee = expr.expression;
    if (ts.isIdentifier(callee) && CONVERTERS[callee.text]) return { type: CONVERTERS[callee.text] };
    if (ts.isPropertyAccessExpression(callee) && callee.getText() === "JSON.parse") return { type: "JSONType" };
    if (ts.isPropertyAccessExpression(callee) && /^Number\.(parseInt|parseFloat)$/.test(callee.getText())) return { type: "Number" };
    return {};
  }
  if (ts.isPrefixUnaryExpression(expr)) {
    if (expr.operator === ts.SyntaxKind.ExclamationToken) return { type: "Boolean" };
    if (expr.operator === ts.SyntaxKind.MinusToken || expr.operator === ts.SyntaxKind.PlusToken) return { type: "Number" };
    return {};
  }
  if (ts.isConditionalExpression(expr)) return { type: same(inner(expr.whenTrue).type, inner(expr.whenFalse).type) };
  if (ts.isArrayLiteralExpression(expr) || ts.isObjectLiteralExpression(expr)) return { type: "JSONType" };
  if (ts.isBinaryExpression(expr)) {
    const op = expr.operatorToken.kind;
    const [left, right] = [inner(expr.left).type, inner(expr.right).type];
    if (op === ts.SyntaxKind.QuestionQuestionToken || op === ts.SyntaxKind.BarBarToken) return { type: left ? same(left, right) : right };
    if (op === ts.SyntaxKind.PlusToken) return { type: left === "String" || right === "String" ? "String" : same(left, right) };
    const arithmetic = [
      ts.SyntaxKind.MinusToken,
      ts.SyntaxKind.AsteriskToken,
      ts.SyntaxKind.SlashToken,
      ts.SyntaxKind.PercentToken,
      ts.SyntaxKind.AsteriskAsteriskToken,
    ];
    if (arithmetic.includes(op)) return { type: "Number" };
    const comparison = [
      ts.SyntaxKind.EqualsEqualsEqualsToken,
      ts.SyntaxKind.ExclamationEqualsEqualsToken,
      ts.SyntaxKind.EqualsEqualsToken,
      ts.SyntaxKind.ExclamationEqualsToken,
      ts.SyntaxKind.LessThanToken,
      ts.SyntaxKind.GreaterThanToken,
      ts.SyntaxKind.LessThanEqualsToken,
      ts.SyntaxKind.GreaterThanEqualsToken,
    ];
    if (comparison.includes(op)) return { type: "Boolean" };
  }
  return {};
}
