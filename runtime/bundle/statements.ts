/**
 * A bundle's top-level statements as the step fingerprint sees them: what each declares, which
 * names it mentions, and whether it runs code when the bundle loads. Parsed with acorn; text is
 * compared as tokens, so comments, whitespace and the path comments esbuild writes (which depend
 * on the working directory) never count.
 */
import { parse, type AnyNode, type Identifier, type Token } from "acorn";
import { full } from "acorn-walk";

export interface TopStatement {
  node: AnyNode;
  /** Names it declares (`var a, b`, `function f`, `class C`, import bindings). */
  declares: string[];
  /** `__name(X, "x")`, `__export(X, {...})`: part of X's definition, counted whenever X is. */
  attachedTo?: string;
  /** It runs code when the bundle loads (anything but a declaration whose value is inert): it counts for every step. */
  runsOnLoad: boolean;
}

export interface ParsedBundle {
  code: string;
  tokens: Token[];
  statements: TopStatement[];
}

/** esbuild's helpers that attach to their first argument. */
const ATTACHING_HELPERS = new Set(["__name", "__export", "__reExport"]);
/** esbuild's helpers that run no user code when called at the top level. */
const INERT_HELPERS = new Set(["__name", "__commonJS", "__esm", "__toESM", "__toCommonJS", "__template"]);

export function parseBundle(code: string): ParsedBundle {
  const tokens: Token[] = [];
  const program = parse(code, { ecmaVersion: "latest", sourceType: "module", allowHashBang: true, onToken: tokens });
  const body = iifeBody(program.body as AnyNode[]) ?? (program.body as AnyNode[]);
  return { code, tokens, statements: body.map(describe) };
}

/** An IIFE bundle (`var g = (() => { ... })();`) keeps its top level inside the function. */
function iifeBody(body: AnyNode[]): AnyNode[] | undefined {
  const statements = body.filter((s) => !(s.type === "ExpressionStatement" && s.directive));
  if (statements.length !== 1) return undefined;
  const only = statements[0]!;
  let call: AnyNode | null | undefined;
  if (only.type === "ExpressionStatement") call = only.expression;
  else if (only.type === "VariableDeclaration" && only.declarations.length === 1) call = only.declarations[0]!.init;
  if (call?.type !== "CallExpression") return undefined;
  const callee = call.callee;
  if ((callee.type === "ArrowFunctionExpression" || callee.type === "FunctionExpression") && callee.body.type === "BlockStatement") {
    return callee.body.body as AnyNode[];
  }
  return undefined;
}

function describe(node: AnyNode): TopStatement {
  switch (node.type) {
    case "FunctionDeclaration":
    case "ClassDeclaration":
      return { node, declares: node.id ? [node.id.name] : [], runsOnLoad: false };
    case "VariableDeclaration":
      return {
        node,
        declares: node.declarations.flatMap((d) => patternNames(d.id)),
        runsOnLoad: node.declarations.some((d) => d.init && !isInert(d.init)),
      };
    case "ImportDeclaration":
      return { node, declares: node.specifiers.map((s) => s.local.name), runsOnLoad: node.specifiers.length === 0 };
    case "ExportNamedDeclaration":
      if (node.declaration) return { ...describe(node.declaration as AnyNode), node };
      return { node, declares: [], runsOnLoad: true };
    case "ExpressionStatement": {
      const e = node.expression;
      if (e.type === "CallExpression" && e.callee.type === "Identifier" && ATTACHING_HELPERS.has(e.callee.name)) {
        const target = e.arguments[0];
        if (target?.type === "Identifier") return { node, declares: [], attachedTo: target.name, runsOnLoad: false };
      }
      return { node, declares: [], runsOnLoad: true };
    }
    default:
      return { node, declares: [], runsOnLoad: true };
  }
}

function patternNames(pattern: AnyNode): string[] {
  const names: string[] = [];
  full(pattern, (n) => {
    if (n.type === "Identifier") names.push((n as Identifier).name);
  });
  return names;
}

/** A value whose evaluation runs no code of its own: functions, classes, literals, esbuild's module wrappers. */
function isInert(node: AnyNode): boolean {
  switch (node.type) {
    case "FunctionExpression":
    case "ArrowFunctionExpression":
    case "ClassExpression":
    case "Literal":
    case "Identifier":
      return true;
    case "TemplateLiteral":
      return node.expressions.length === 0;
    case "UnaryExpression":
      return node.operator !== "delete" && isInert(node.argument);
    case "BinaryExpression":
    case "LogicalExpression":
      return isInert(node.left as AnyNode) && isInert(node.right);
    case "ConditionalExpression":
      return isInert(node.test) && isInert(node.consequent) && isInert(node.alternate);
    case "MemberExpression":
      return node.object.type !== "Super" && isInert(node.object) && (!node.computed || isInert(node.property as AnyNode));
    case "ArrayExpression":
      return node.elements.every((e) => e === null || (e.type !== "SpreadElement" && isInert(e)));
    case "ObjectExpression":
      return node.properties.every(
        (p) => p.type === "Property" && (!p.computed || isInert(p.key as AnyNode)) && isInert(p.value as AnyNode),
      );
    case "CallExpression": {
      const callee = node.callee;
      if (callee.type !== "Identifier") return false;
      // `require_pkg()` inside `__toESM(...)` loads a bundled CommonJS module: counted for the
      // steps that use its binding (its code is that binding's declaration).
      const inertCall = INERT_HELPERS.has(callee.name) || (callee.name.startsWith("require_") && node.arguments.length === 0);
      return inertCall && node.arguments.every((a) => a.type !== "SpreadElement" && isInert(a));
    }
    default:
      return false;
  }
}

/** The names a piece of code mentions (references and its own bindings; property names are not names). */
export function identifiersIn(node: AnyNode, visit: (name: string, at: number) => void): void {
  full(node, (n) => {
    if (n.type === "Identifier") visit((n as Identifier).name, n.start);
  });
}

/** The tokens between `start` and `end`, joined by spaces, skipping the given ranges. */
export function tokenText(bundle: ParsedBundle, start: number, end: number, skip: readonly (readonly [number, number])[] = []): string {
  const { tokens, code } = bundle;
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.start < start) lo = mid + 1;
    else hi = mid;
  }
  const parts: string[] = [];
  for (let i = lo; i < tokens.length && tokens[i]!.end <= end; i++) {
    const t = tokens[i]!;
    if (t.start === t.end) continue; // eof
    if (skip.some(([s, e]) => t.start >= s && t.end <= e)) continue;
    parts.push(code.slice(t.start, t.end));
  }
  return parts.join(" ");
}
