/**
 * A fingerprint of the code one step runs, read from the flow's bundle (so it covers what the step
 * imports from the flow's own files and from packages). It hashes:
 *   - the step's method and its decorator's arguments;
 *   - the flow class without its step methods (constructor, parameters, other methods, decorators);
 *   - every top-level statement that runs code when the bundle loads;
 *   - every top-level declaration these mention by name, transitively (a helper, a constant, an
 *     imported file's function, a bundled package's module).
 * Editing one step, or a helper only it calls, changes only that step's fingerprint; editing the
 * class outside its steps, or code that runs at load, changes every step's. Comments and layout
 * never count. When the bundle cannot be read this way, every step gets the hash of the whole
 * bundle: a change anywhere then re-runs everything, which is slow but never wrong.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { AnyNode } from "acorn";
import { identifiersIn, parseBundle, tokenText, type ParsedBundle, type TopStatement } from "./statements.js";

import { FINGERPRINT_VERSION as VERSION } from "./fingerprint-version.js";

type Range = readonly [number, number];

interface FlowClass {
  index: number;
  /** Each step's own code: its method and its decorator expression. */
  own: Map<string, Range[]>;
}

/** Fingerprints of the given steps' code in a bundle (a flow bundle's `code`), by step name. */
export function stepFingerprints(code: string, steps: readonly string[]): Record<string, string> {
  let bundle: ParsedBundle | undefined;
  try {
    bundle = parseBundle(code);
  } catch {
    bundle = undefined;
  }
  const flow = bundle && findFlowClass(bundle, steps);
  if (!bundle || !flow) return wholeBundle(code, steps);
  const facts = new StatementFacts(bundle);
  return Object.fromEntries(steps.map((step) => [step, fingerprintOf(facts, flow, step)]));
}

function wholeBundle(code: string, steps: readonly string[]): Record<string, string> {
  const digest = sha256(`${VERSION}\0whole\0${code}`);
  return Object.fromEntries(steps.map((s) => [s, digest]));
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function classOf(node: AnyNode): AnyNode | undefined {
  if (node.type === "ClassDeclaration") return node;
  if (node.type === "ExportNamedDeclaration" && node.declaration?.type === "ClassDeclaration") return node.declaration;
  if (node.type === "VariableDeclaration") {
    const init = node.declarations.find((d) => d.init?.type === "ClassExpression")?.init;
    return init ?? undefined;
  }
  return undefined;
}

/** The last class that defines every step as a method, and where each step's own code is. */
function findFlowClass(bundle: ParsedBundle, steps: readonly string[]): FlowClass | undefined {
  for (let index = bundle.statements.length - 1; index >= 0; index--) {
    const cls = classOf(bundle.statements[index]!.node);
    if (cls?.type !== "ClassDeclaration" && cls?.type !== "ClassExpression") continue;
    const methods = new Map<string, Range>();
    for (const member of cls.body.body) {
      if (member.type === "MethodDefinition" && !member.computed && member.key.type === "Identifier" && !member.static) {
        methods.set(member.key.name, [member.start, member.end]);
      }
    }
    if (!steps.every((s) => methods.has(s))) continue;
    const own = new Map<string, Range[]>(steps.map((s) => [s, [methods.get(s)!]]));
    const decorators = decoratorVariables(bundle, steps);
    // esbuild evaluates `_step_dec = [step({...})]` inside the class's heritage expression.
    if (cls.superClass) {
      identifiersOfAssignments(cls.superClass as AnyNode, (name, range) => {
        const step = decorators.get(name);
        if (step) own.get(step)!.push(range);
      });
    }
    return { index, own };
  }
  return undefined;
}

/** `__decorateElement(_init, 1, "start", _start_dec, Cls)`: the variable holding each step's decorators. */
function decoratorVariables(bundle: ParsedBundle, steps: readonly string[]): Map<string, string> {
  const byVariable = new Map<string, string>();
  for (const { node } of bundle.statements) {
    if (node.type !== "ExpressionStatement" || node.expression.type !== "CallExpression") continue;
    const call = node.expression;
    if (call.callee.type !== "Identifier" || call.callee.name !== "__decorateElement") continue;
    const [, , name, variable] = call.arguments;
    if (name?.type === "Literal" && typeof name.value === "string" && steps.includes(name.value) && variable?.type === "Identifier") {
      byVariable.set(variable.name, name.value);
    }
  }
  return byVariable;
}

function identifiersOfAssignments(node: AnyNode, visit: (name: string, range: Range) => void): void {
  const stack: AnyNode[] = [node];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === "SequenceExpression") stack.push(...(n.expressions as AnyNode[]));
    else if (n.type === "AssignmentExpression" && n.left.type === "Identifier") visit(n.left.name, [n.start, n.end]);
  }
}

const inside = (at: number, ranges: readonly Range[]) => ranges.some(([s, e]) => at >= s && at < e);

/** Per-statement facts, computed once per bundle and shared by every step's fingerprint. */
class StatementFacts {
  readonly byName = new Map<string, number[]>();
  readonly #refs: (string[] | undefined)[] = [];
  readonly #texts: (string | undefined)[] = [];

  constructor(readonly bundle: ParsedBundle) {
    bundle.statements.forEach((s, i) => {
      for (const name of [...s.declares, ...(s.attachedTo ? [s.attachedTo] : [])]) {
        const list = this.byName.get(name) ?? [];
        list.push(i);
        this.byName.set(name, list);
      }
    });
  }

  refs(i: number): string[] {
    let refs = this.#refs[i];
    if (!refs) {
      const names = new Set<string>();
      identifiersIn(this.bundle.statements[i]!.node, (name) => names.add(name));
      refs = [...names];
      this.#refs[i] = refs;
    }
    return refs;
  }

  text(i: number): string {
    this.#texts[i] ??= statementText(this.bundle, this.bundle.statements[i]!);
    return this.#texts[i]!;
  }
}

function fingerprintOf(facts: StatementFacts, flow: FlowClass, step: string): string {
  const { bundle } = facts;
  const { statements } = bundle;
  const allOwn = [...flow.own.values()].flat();
  const ownRanges = flow.own.get(step)!;
  const classNode = statements[flow.index]!.node;

  const included = new Set<number>([flow.index]);
  const pending: string[] = [];
  // The step itself, and the class around every step (not the other steps' code).
  identifiersIn(classNode, (name, at) => {
    if (inside(at, ownRanges) || !inside(at, allOwn)) pending.push(name);
  });
  const include = (i: number) => {
    if (included.has(i)) return;
    included.add(i);
    pending.push(...facts.refs(i));
  };
  statements.forEach((s, i) => {
    if (s.runsOnLoad) include(i);
  });
  const seen = new Set<string>();
  while (pending.length) {
    const name = pending.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const i of facts.byName.get(name) ?? []) include(i);
  }

  const parts = [VERSION, step, ...ownRanges.map(([s, e]) => tokenText(bundle, s, e))];
  parts.push(tokenText(bundle, classNode.start, classNode.end, allOwn));
  for (const i of [...included].sort((a, b) => a - b)) if (i !== flow.index) parts.push(facts.text(i));
  return sha256(parts.join("\0"));
}

/** A statement's tokens; an import of an external package also counts that package's version. */
function statementText(bundle: ParsedBundle, statement: TopStatement): string {
  const { node } = statement;
  const text = tokenText(bundle, node.start, node.end);
  if (node.type !== "ImportDeclaration" || typeof node.source.value !== "string") return text;
  return `${text} ${packageVersionOf(node.source.value)}`;
}

/** `name@version` of the package an absolute import path lies in ("" for anything else); read each time, as an install may change it. */
function packageVersionOf(specifier: string): string {
  if (!path.isAbsolute(specifier)) return "";
  let found = "";
  for (let dir = path.dirname(specifier); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        const { name, version } = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; version?: string };
        if (name && version) {
          found = `${name}@${version}`;
          break;
        }
      } catch {
        // not a package manifest; keep looking upwards
      }
    }
    if (path.dirname(dir) === dir) break;
  }
  return found;
}
