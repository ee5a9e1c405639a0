/**
 * Source rewrites between a cell body and a step method body, done on the TypeScript AST and
 * applied as text edits so the user's formatting and comments survive.
 */
import ts from "typescript";
import { isValueReference, lazyFreeChecker, NOTEBOOK_ONLY, rebindsThis, STEPLAB_VALUE_NAMES } from "../runtime/graph/index.js";

/** The helpers a cell has in scope that a flow file must import (or cannot use). */
const HELPER_NAMES = new Set<string>([...STEPLAB_VALUE_NAMES, ...Object.keys(NOTEBOOK_ONLY)]);

interface Edit {
  start: number;
  end: number;
  text: string;
}

function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

export function parse(code: string): ts.SourceFile {
  return ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/** Strips parentheses, `as`, `!` and `satisfies` around an expression. */
function bare(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e))
    e = e.expression;
  return e;
}

/** An expression with no effect: a REPL display value that a flow step can drop. */
function isInert(e: ts.Expression): boolean {
  e = bare(e);
  if (ts.isIdentifier(e) || e.kind === ts.SyntaxKind.ThisKeyword || ts.isLiteralExpression(e)) return true;
  if ([ts.SyntaxKind.TrueKeyword, ts.SyntaxKind.FalseKeyword, ts.SyntaxKind.NullKeyword].includes(e.kind)) return true;
  if (ts.isPropertyAccessExpression(e)) return isInert(e.expression);
  if (ts.isElementAccessExpression(e)) return isInert(e.expression) && isInert(e.argumentExpression);
  if (ts.isArrayLiteralExpression(e)) return e.elements.every((x) => isInert(x));
  if (ts.isTemplateExpression(e)) return e.templateSpans.every((s) => isInert(s.expression));
  return false;
}

export interface CellToMethod {
  /** The method body text (not indented, no surrounding braces, no `this.next`). */
  body: string;
  /** Artifact names the cell assigns (`self.x = …`, `self.x += …`, `self.x++`, destructuring). */
  assigns: string[];
  /** Whether the cell awaits at its top level (the method must be async). */
  usesAwait: boolean;
  /** Import declarations found (they belong in a setup cell), as 1-based lines. */
  importLines: number[];
  /** Names "steplab" exports (display, Flow, runFlow, ...) the cell uses without declaring them, sorted. */
  helpers: string[];
  /** The first syntax error of the code, if any. */
  syntaxError?: { line: number; message: string };
}

/** The first syntax error of a piece of TypeScript, with its 1-based line. */
export function syntaxError(sf: ts.SourceFile): { line: number; message: string } | undefined {
  // parseDiagnostics is not in the public typings, but it is how the compiler reports syntax errors without a program.
  const d = (sf as unknown as { parseDiagnostics?: readonly ts.Diagnostic[] }).parseDiagnostics?.[0];
  if (!d) return undefined;
  return { line: sf.getLineAndCharacterOfPosition(d.start ?? 0).line + 1, message: ts.flattenDiagnosticMessageText(d.messageText, " ") };
}

/**
 * Turns a step cell's code into a method body: `self` -> `this`, bare references to parameters
 * -> `this.NAME`, and a trailing display-only expression dropped.
 */
export function cellToMethodBody(code: string, parameters: ReadonlySet<string> = new Set()): CellToMethod {
  const sf = parse(code);
  const isFree = lazyFreeChecker(sf);
  const edits: Edit[] = [];
  const assigns = new Set<string>();
  const importLines: number[] = [];
  const helpers = new Set<string>();
  let needsAlias = false;
  let usesAwait = false;

  const selfName = (e: ts.Expression): boolean => {
    const b = bare(e);
    return ts.isIdentifier(b) && b.text === "self" && isFree(b);
  };
  const target = (e: ts.Expression): void => {
    e = bare(e);
    if (ts.isPropertyAccessExpression(e) && selfName(e.expression)) assigns.add(e.name.text);
    else if (ts.isElementAccessExpression(e) && selfName(e.expression) && ts.isStringLiteralLike(e.argumentExpression)) {
      assigns.add(e.argumentExpression.text);
    } else if (ts.isArrayLiteralExpression(e)) {
      for (const x of e.elements) target(ts.isSpreadElement(x) ? x.expression : x);
    } else if (ts.isObjectLiteralExpression(e)) {
      for (const p of e.properties) {
        if (ts.isPropertyAssignment(p)) target(p.initializer);
        else if (ts.isSpreadAssignment(p)) target(p.expression);
      }
    } else if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken) target(e.left);
  };

  const visit = (n: ts.Node, inner: boolean, inFunction: boolean): void => {
    if (ts.isImportDeclaration(n) || ts.isImportEqualsDeclaration(n))
      importLines.push(sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1);
    if (ts.isIdentifier(n) && HELPER_NAMES.has(n.text) && isValueReference(n) && isFree(n)) helpers.add(n.text);
    if (ts.isAwaitExpression(n) && !inFunction) usesAwait = true;
    if (ts.isForOfStatement(n) && n.awaitModifier && !inFunction) usesAwait = true;
    if (
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      n.operatorToken.kind <= ts.SyntaxKind.LastAssignment
    )
      target(n.left);
    if (
      (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) &&
      [ts.SyntaxKind.PlusPlusToken, ts.SyntaxKind.MinusMinusToken].includes(n.operator)
    )
      target(n.operand);
    if (ts.isIdentifier(n) && (n.text === "self" || parameters.has(n.text)) && isValueReference(n) && isFree(n)) {
      const isSelf = n.text === "self";
      {
        if (inner) needsAlias = true;
        const self = inner ? "self" : "this";
        const replacement = isSelf ? (inner ? undefined : "this") : `${self}.${n.text}`;
        if (replacement !== undefined) {
          const shorthand = ts.isShorthandPropertyAssignment(n.parent) && n.parent.name === n;
          edits.push({ start: n.getStart(sf), end: n.end, text: shorthand ? `${n.text}: ${replacement}` : replacement });
        }
      }
    }
    const fn = ts.isFunctionLike(n) || ts.isClassLike(n);
    ts.forEachChild(n, (c) => visit(c, inner || rebindsThis(n), inFunction || fn));
  };
  visit(sf, false, false);

  const last = sf.statements[sf.statements.length - 1];
  if (last && ts.isExpressionStatement(last) && isInert(last.expression)) {
    const start = last.getStart(sf);
    edits.splice(0, edits.length, ...edits.filter((e) => e.start < start || e.start >= last.end));
    edits.push(wholeLine(code, start, last.end));
  }
  let body = applyEdits(code, edits);
  // `function () { self.x }` cannot say `this`: keep `self` as an alias of the flow object there.
  if (needsAlias) body = `const self = this;\n${body}`;
  const error = syntaxError(sf);
  return {
    body: trimBlankLines(body),
    assigns: [...assigns].sort(),
    usesAwait,
    importLines,
    helpers: [...helpers].sort(),
    ...(error ? { syntaxError: error } : {}),
  };
}

/**
 * Turns a step method body into cell code: `this` -> `self` (outside nested functions and classes,
 * where `this` means something else) and top-level `this.next(...)` calls removed.
 */
export function methodBodyToCell(body: string): string {
  const sf = parse(body);
  const edits: Edit[] = [];
  for (const stmt of sf.statements) {
    if (ts.isExpressionStatement(stmt)) {
      const e = bare(stmt.expression);
      if (
        ts.isCallExpression(e) &&
        ts.isPropertyAccessExpression(e.expression) &&
        e.expression.expression.kind === ts.SyntaxKind.ThisKeyword &&
        e.expression.name.text === "next"
      ) {
        edits.push(wholeLine(body, stmt.getStart(sf), stmt.end));
        continue;
      }
    }
    const visit = (n: ts.Node): void => {
      if (n.kind === ts.SyntaxKind.ThisKeyword) edits.push({ start: n.getStart(sf), end: n.end, text: "self" });
      if (!rebindsThis(n)) ts.forEachChild(n, visit);
    };
    visit(stmt);
  }
  const text = applyEdits(body, edits).replace(/[ \t]+$/gm, "");
  // Code on the method's own line (`@step a() { this.x = 1; ... }`) has no indentation to remove.
  const nl = text.indexOf("\n");
  const first = (nl < 0 ? text : text.slice(0, nl)).trim();
  const rest = nl < 0 ? "" : dedent(text.slice(nl + 1));
  return trimBlankLines(first === "" ? rest : `${first}\n${rest}`);
}

/** The edit removing [start, end) with its same-line trailing comment, and its line when nothing else is on it. */
function wholeLine(text: string, start: number, end: number): Edit {
  for (const r of ts.getTrailingCommentRanges(text, end) ?? []) {
    if (r.kind === ts.SyntaxKind.SingleLineCommentTrivia || !text.slice(end, r.pos).includes("\n")) end = r.end;
  }
  const lineStart = text.lastIndexOf("\n", start - 1) + 1;
  const after = /^[ \t]*(\n|$)/.exec(text.slice(end));
  if (after && text.slice(lineStart, start).trim() === "") return { start: lineStart, end: end + after[0].length, text: "" };
  return { start, end, text: "" };
}

/** Lines (0-based) that begin inside a multi-line template literal: indentation there is data. */
function literalLines(text: string): Set<number> {
  const sf = parse(text);
  const out = new Set<number>();
  const visit = (n: ts.Node): void => {
    if (ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateExpression(n) || (ts.isStringLiteral(n) && n.getText(sf).includes("\n"))) {
      const a = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
      const b = sf.getLineAndCharacterOfPosition(n.end).line;
      for (let l = a + 1; l <= b; l++) out.add(l);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Removes the common indentation of code lines (template literal contents are left alone). */
export function dedent(text: string): string {
  const lines = text.split("\n");
  const keep = literalLines(text);
  const indents = lines.filter((l, i) => !keep.has(i) && l.trim() !== "").map((l) => /^[ \t]*/.exec(l)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l, i) => (keep.has(i) ? l : l.slice(Math.min(cut, /^[ \t]*/.exec(l)![0].length)))).join("\n");
}

/** Indents every code line by `prefix` (blank lines stay empty, template literal contents stay). */
export function indent(text: string, prefix: string): string {
  const keep = literalLines(text);
  return dedent(text)
    .split("\n")
    .map((l, i) => (keep.has(i) || l.trim() === "" ? (keep.has(i) ? l : "") : prefix + l))
    .join("\n");
}

export function trimBlankLines(text: string): string {
  return text
    .replace(/^(?:[ \t]*\n)+/, "")
    .replace(/(?:\n[ \t]*)+$/, "")
    .replace(/[ \t]+$/, "");
}
