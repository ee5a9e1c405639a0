import ts from "typescript";

export type Evaluated = { ok: true; value: unknown } | { ok: false };

const FAIL: Evaluated = { ok: false };

/**
 * The value of a literal expression (strings, numbers, booleans, null, array and object
 * literals of those), without running anything. Anything computed is `{ ok: false }`.
 */
export function evaluateLiteral(node: ts.Expression): Evaluated {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return { ok: true, value: node.text };
  if (ts.isNumericLiteral(node)) return { ok: true, value: Number(node.text) };
  if (node.kind === ts.SyntaxKind.TrueKeyword) return { ok: true, value: true };
  if (node.kind === ts.SyntaxKind.FalseKeyword) return { ok: true, value: false };
  if (node.kind === ts.SyntaxKind.NullKeyword) return { ok: true, value: null };
  if (ts.isIdentifier(node) && node.text === "undefined") return { ok: true, value: undefined };
  if (
    ts.isParenthesizedExpression(node) ||
    ts.isAsExpression(node) ||
    ts.isSatisfiesExpression(node) ||
    ts.isTypeAssertionExpression(node) ||
    ts.isNonNullExpression(node)
  ) {
    return evaluateLiteral(node.expression);
  }
  if (ts.isPrefixUnaryExpression(node)) {
    const inner = evaluateLiteral(node.operand);
    if (!inner.ok || typeof inner.value !== "number") return FAIL;
    if (node.operator === ts.SyntaxKind.MinusToken) return { ok: true, value: -inner.value };
    if (node.operator === ts.SyntaxKind.PlusToken) return inner;
    return FAIL;
  }
  if (ts.isArrayLiteralExpression(node)) {
    const out: unknown[] = [];
    for (const el of node.elements) {
      if (ts.isSpreadElement(el) || ts.isOmittedExpression(el)) return FAIL;
      const v = evaluateLiteral(el);
      if (!v.ok) return FAIL;
      out.push(v.value);
    }
    return { ok: true, value: out };
  }
  if (ts.isObjectLiteralExpression(node)) {
    const out: Record<string, unknown> = {};
    for (const prop of node.properties) {
      if (!ts.isPropertyAssignment(prop)) return FAIL;
      const key = propertyKey(prop.name);
      if (key === undefined) return FAIL;
      const v = evaluateLiteral(prop.initializer);
      if (!v.ok) return FAIL;
      out[key] = v.value;
    }
    return { ok: true, value: out };
  }
  return FAIL;
}

/** The name of a non-computed property (`a`, `"a"`, `1`). */
export function propertyKey(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  if (ts.isNoSubstitutionTemplateLiteral(name)) return name.text;
  return undefined;
}
