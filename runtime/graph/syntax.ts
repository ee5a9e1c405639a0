/**
 * The TypeScript syntax a flow file is made of: its flow class, its `@step` methods, their
 * `this.next(...)` calls and `this.NAME =` assignments. Shared by the parser and the lint rules
 * that need more than the graph (where a call sits, how many parameters a join takes).
 */
import ts from "typescript";
import { GraphError } from "./errors.js";
import { rebindsThis } from "./scope.js";

export function parseSource(source: string, file: string): ts.SourceFile {
  const kind = /\.[cm]?tsx$/.test(file) ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, kind);
  // parseDiagnostics is not in the public typings, but it is how the compiler itself reports
  // syntax errors of a file parsed without a program.
  const diagnostics = (sf as unknown as { parseDiagnostics?: readonly ts.Diagnostic[] }).parseDiagnostics ?? [];
  const first = diagnostics[0];
  if (first) {
    const line = first.start === undefined ? 1 : lineAt(sf, first.start);
    const text = ts.flattenDiagnosticMessageText(first.messageText, "\n");
    throw new GraphError(`syntax error: ${text}. Fix it so that the flow's graph can be read.`, file, line);
  }
  return sf;
}

/** 1-based line of an offset. */
export function lineAt(sf: ts.SourceFile, pos: number): number {
  return sf.getLineAndCharacterOfPosition(pos).line + 1;
}

function extendsFlowSpec(cls: ts.ClassDeclaration): boolean {
  for (const clause of cls.heritageClauses ?? []) {
    if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue;
    for (const t of clause.types) {
      const e = t.expression;
      if (ts.isIdentifier(e) && e.text === "FlowSpec") return true;
      if (ts.isPropertyAccessExpression(e) && e.name.text === "FlowSpec") return true;
    }
  }
  return false;
}

function exportedNames(sf: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  for (const st of sf.statements) {
    if (ts.isExportDeclaration(st) && !st.moduleSpecifier && st.exportClause && ts.isNamedExports(st.exportClause)) {
      for (const el of st.exportClause.elements) names.add((el.propertyName ?? el.name).text);
    }
    if (ts.isExportAssignment(st) && ts.isIdentifier(st.expression)) names.add(st.expression.text);
  }
  return names;
}

function hasExportModifier(node: ts.ClassDeclaration): boolean {
  return (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

/** The one exported FlowSpec subclass of a file; anything else is a GraphError saying what to do. */
export function findFlowClass(sf: ts.SourceFile, file: string): ts.ClassDeclaration {
  const exported = exportedNames(sf);
  const flows: ts.ClassDeclaration[] = [];
  const hidden: ts.ClassDeclaration[] = [];
  for (const st of sf.statements) {
    if (!ts.isClassDeclaration(st) || !extendsFlowSpec(st)) continue;
    if (hasExportModifier(st) || (st.name && exported.has(st.name.text))) flows.push(st);
    else hidden.push(st);
  }
  const [first, second] = flows;
  if (first && second) {
    throw new GraphError(
      `this file exports two FlowSpec subclasses, ${className(first)} (line ${classLine(sf, first)}) and ` +
        `${className(second)} (line ${classLine(sf, second)}): keep one flow per file and move ${className(second)} to its own file.`,
      file,
      classLine(sf, second),
    );
  }
  if (first) return first;
  const lost = hidden[0];
  if (lost) {
    throw new GraphError(
      `class ${className(lost)} extends FlowSpec but is not exported: write \`export class ${className(lost)} extends FlowSpec\`.`,
      file,
      classLine(sf, lost),
    );
  }
  throw new GraphError(
    "no flow found: a flow file must export one class extending FlowSpec, e.g. " +
      "`export class MyFlow extends FlowSpec { @step start() { this.next(this.end); } @step end() {} }`.",
    file,
    1,
  );
}

function className(cls: ts.ClassDeclaration): string {
  return cls.name?.text ?? "(anonymous)";
}

function classLine(sf: ts.SourceFile, cls: ts.ClassDeclaration): number {
  return lineAt(sf, (cls.name ?? cls).getStart(sf));
}

export interface StepMethod {
  node: ts.MethodDeclaration;
  name: string;
  decorators: readonly ts.Decorator[];
  /** The `@step` or `@step({...})` decorator. */
  step: ts.Decorator;
  body: ts.Block;
}

function isStepDecorator(d: ts.Decorator): boolean {
  let e = d.expression;
  if (ts.isCallExpression(e)) e = e.expression;
  if (ts.isIdentifier(e)) return e.text === "step";
  return ts.isPropertyAccessExpression(e) && e.name.text === "step";
}

/** The class's `@step` methods in source order (methods without a body are skipped). */
export function stepMethods(cls: ts.ClassDeclaration): StepMethod[] {
  const out: StepMethod[] = [];
  for (const member of cls.members) {
    if (!ts.isMethodDeclaration(member) || !member.body) continue;
    const decorators = ts.getDecorators(member) ?? [];
    const step = decorators.find(isStepDecorator);
    if (!step) continue;
    const name = ts.isIdentifier(member.name) || ts.isStringLiteral(member.name) ? member.name.text : member.name.getText();
    out.push({ node: member, name, decorators, step, body: member.body });
  }
  return out;
}

/** The text of the JSDoc comment right before a declaration, without its `*`s. */
export function docOf(sf: ts.SourceFile, node: ts.Node, name?: ts.Node): string | undefined {
  const text = sf.text;
  const ranges = [
    ...(ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []),
    ...(name ? (ts.getLeadingCommentRanges(text, name.getFullStart()) ?? []) : []),
  ];
  const jsdoc = ranges.filter((r) => r.kind === ts.SyntaxKind.MultiLineCommentTrivia && text.startsWith("/**", r.pos)).pop();
  if (!jsdoc) return undefined;
  const raw = text.slice(jsdoc.pos + 3, Math.max(jsdoc.pos + 3, jsdoc.end - 2));
  const lines = raw.split(/\r?\n/).map((l) => l.replace(/^\s*\*? ?/, "").trimEnd());
  while (lines.length && lines[0] === "") lines.shift();
  while (lines.length && lines[lines.length - 1] === "") lines.pop();
  const doc = lines.join("\n");
  return doc === "" ? undefined : doc;
}

/** Start offset of a declaration including its JSDoc, so a region cut there keeps the doc. */
export function startWithDoc(sf: ts.SourceFile, node: ts.Node): number {
  const ranges = ts.getLeadingCommentRanges(sf.text, node.getFullStart()) ?? [];
  const jsdoc = ranges.filter((r) => sf.text.startsWith("/**", r.pos)).pop();
  return jsdoc ? jsdoc.pos : node.getStart(sf);
}

/**
 * Visits every node of a step body where `this` is still the flow object: arrow functions
 * are entered, nested functions and classes (which rebind `this`) are not.
 */
export function walkThisScope(body: ts.Node, visit: (node: ts.Node) => void): void {
  const go = (node: ts.Node): void => {
    visit(node);
    ts.forEachChild(node, (child) => {
      if (!rebindsThis(child)) go(child);
    });
  };
  ts.forEachChild(body, go);
}

/** `this.NAME` (or `this["NAME"]`): NAME, else undefined. */
export function thisMember(node: ts.Node): string | undefined {
  while (ts.isParenthesizedExpression(node) || ts.isNonNullExpression(node)) node = node.expression;
  if (ts.isPropertyAccessExpression(node) && node.expression.kind === ts.SyntaxKind.ThisKeyword) return node.name.text;
  if (
    ts.isElementAccessExpression(node) &&
    node.expression.kind === ts.SyntaxKind.ThisKeyword &&
    (ts.isStringLiteral(node.argumentExpression) || ts.isNoSubstitutionTemplateLiteral(node.argumentExpression))
  ) {
    return node.argumentExpression.text;
  }
  return undefined;
}

export function isNextCall(node: ts.Node): node is ts.CallExpression {
  return ts.isCallExpression(node) && thisMember(node.expression) === "next";
}

/** Every `this.next(...)` call of a body, in source order. */
export function nextCalls(body: ts.Block): ts.CallExpression[] {
  const calls: ts.CallExpression[] = [];
  walkThisScope(body, (n) => {
    if (isNextCall(n)) calls.push(n);
  });
  return calls;
}

/** The call when the body's last statement is `this.next(...);` (or `return this.next(...);`). */
export function tailNextCall(body: ts.Block): ts.CallExpression | undefined {
  const last = body.statements[body.statements.length - 1];
  if (last && ts.isExpressionStatement(last) && isNextCall(last.expression)) return last.expression;
  if (last && ts.isReturnStatement(last) && last.expression && isNextCall(last.expression)) return last.expression;
  return undefined;
}

/** Artifact names assigned anywhere in a body: `this.x = …`, `this.x += …`, `this.x++`, `[this.a] = …`. */
export function assignedNames(body: ts.Block): string[] {
  const names = new Set<string>();
  const target = (node: ts.Expression): void => {
    const name = thisMember(node);
    if (name !== undefined) {
      names.add(name);
      return;
    }
    if (ts.isArrayLiteralExpression(node)) {
      for (const el of node.elements) target(ts.isSpreadElement(el) ? el.expression : el);
    } else if (ts.isObjectLiteralExpression(node)) {
      for (const p of node.properties) {
        if (ts.isPropertyAssignment(p)) target(p.initializer);
        else if (ts.isSpreadAssignment(p)) target(p.expression);
      }
    } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      target(node.left); // a destructuring default: [this.a = 1] = …
    }
  };
  walkThisScope(body, (n) => {
    if (
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      n.operatorToken.kind <= ts.SyntaxKind.LastAssignment
    ) {
      target(n.left);
    } else if (
      (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) &&
      (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)
    ) {
      target(n.operand);
    } else if ((ts.isForOfStatement(n) || ts.isForInStatement(n)) && !ts.isVariableDeclarationList(n.initializer)) {
      target(n.initializer);
    }
  });
  return [...names];
}
