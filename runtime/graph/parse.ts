/** Reads a flow file's graph from its source, without running any of it. */
import { readFileSync } from "node:fs";
import ts from "typescript";
import { GraphError } from "./errors.js";
import { typeOfValue } from "../support/index.js";
import { staticDefault } from "./default-expr.js";
import { evaluateLiteral, propertyKey } from "./literal.js";
import {
  assignedNames,
  docOf,
  findFlowClass,
  lineAt,
  nextCalls,
  parseSource,
  startWithDoc,
  stepMethods,
  tailNextCall,
  type StepMethod,
} from "./syntax.js";
import { toStepOptions } from "./step-options.js";
import type { FlowGraph, ParameterNode, ParameterType, StepNode, StepOptions, StepType } from "./types.js";

export function parseFlowFile(file: string): FlowGraph {
  let source: string;
  try {
    source = readFileSync(file, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    throw new GraphError(`cannot read the flow file (${reason}): check the path.`, file, 1);
  }
  return parseFlowSource(source, file);
}

export function parseFlowSource(source: string, file: string): FlowGraph {
  const sf = parseSource(source, file);
  const cls = findFlowClass(sf, file);
  const steps = stepMethods(cls).map((m) => stepNode(sf, m));
  const byName = new Map(steps.map((s) => [s.name, s]));
  for (const s of steps) {
    for (const target of new Set(s.next)) byName.get(target)?.inFuncs.push(s.name);
  }
  const parameters: ParameterNode[] = [];
  for (const member of cls.members) {
    const p = parameterNode(sf, file, member);
    if (p) parameters.push(p);
  }
  return {
    name: cls.name?.text ?? "Flow",
    file,
    doc: docOf(sf, cls),
    steps,
    parameters,
    classStart: startWithDoc(sf, cls),
    classEnd: cls.getEnd(),
  };
}

function stepNode(sf: ts.SourceFile, m: StepMethod): StepNode {
  const { next, foreach } = transition(m.body);
  const isJoin = m.node.parameters.length > 0;
  return {
    name: m.name,
    line: lineAt(sf, m.node.name.getStart(sf)),
    doc: docOf(sf, m.node, m.node.name),
    next,
    ...(foreach !== undefined ? { foreach } : {}),
    isJoin,
    type: stepType(m.name, isJoin, next, foreach),
    options: stepOptions(m.step),
    decorators: m.decorators.map((d) => d.getText(sf)),
    inFuncs: [],
    assigns: assignedNames(m.body),
    bodyStart: m.body.getStart(sf) + 1,
    bodyEnd: m.body.getEnd() - 1,
  };
}

/**
 * The step's transition: its tail `this.next(...)`, else the last call anywhere in the body
 * (lint reports a misplaced call; the graph still shows where the step wants to go).
 */
function transition(body: ts.Block): { next: string[]; foreach?: string } {
  const call = tailNextCall(body) ?? nextCalls(body).pop();
  if (!call) return { next: [] };
  const next: string[] = [];
  let foreach: string | undefined;
  for (const arg of call.arguments) {
    if (ts.isPropertyAccessExpression(arg) && arg.expression.kind === ts.SyntaxKind.ThisKeyword) {
      next.push(arg.name.text);
    } else if (ts.isObjectLiteralExpression(arg)) {
      for (const p of arg.properties) {
        if (!ts.isPropertyAssignment(p) || propertyKey(p.name) !== "foreach") continue;
        const v = evaluateLiteral(p.initializer);
        if (v.ok && typeof v.value === "string") foreach = v.value;
      }
    }
  }
  return foreach !== undefined ? { next, foreach } : { next };
}

function stepType(name: string, isJoin: boolean, next: string[], foreach: string | undefined): StepType {
  if (name === "end") return "end";
  if (isJoin) return "join";
  if (name === "start") return "start";
  if (foreach !== undefined) return "foreach";
  return next.length > 1 ? "split" : "linear";
}

/** The valid options of `@step({...})`; invalid ones are lint problems (see lint-source). */
function stepOptions(d: ts.Decorator): StepOptions {
  const e = d.expression;
  const arg = ts.isCallExpression(e) ? e.arguments[0] : undefined;
  if (!arg) return {};
  const v = evaluateLiteral(arg);
  if (!v.ok || typeof v.value !== "object" || v.value === null) return {};
  return toStepOptions(v.value as Record<string, unknown>);
}

const PARAMETER_TYPES: readonly ParameterType[] = ["String", "Number", "Boolean", "JSONType"];

function calleeName(e: ts.Expression): string | undefined {
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

function parameterNode(sf: ts.SourceFile, file: string, member: ts.ClassElement): ParameterNode | undefined {
  if (!ts.isPropertyDeclaration(member) || !member.initializer) return undefined;
  let init: ts.Expression = member.initializer;
  while (ts.isAsExpression(init) || ts.isSatisfiesExpression(init) || ts.isParenthesizedExpression(init)) init = init.expression;
  if (!ts.isCallExpression(init)) return undefined;
  const callee = calleeName(init.expression);
  if (callee !== "Parameter" && callee !== "IncludeFile") return undefined;
  const field = propertyKey(member.name) ?? member.name.getText(sf);
  const line = lineAt(sf, member.name.getStart(sf));
  const [nameArg, optsArg] = init.arguments;
  const nameValue = nameArg ? evaluateLiteral(nameArg) : undefined;
  if (!nameValue?.ok || typeof nameValue.value !== "string" || nameValue.value === "") {
    throw new GraphError(
      `${callee} of field ${field} needs its name as a string literal, e.g. ${callee}("${field}", { help: "..." }).`,
      file,
      line,
    );
  }
  const node: ParameterNode = {
    field,
    name: nameValue.value,
    kind: callee === "Parameter" ? "parameter" : "includefile",
    required: false,
    hasDefault: false,
    line,
  };
  if (optsArg && !ts.isObjectLiteralExpression(optsArg)) {
    throw new GraphError(
      `the options of ${callee}("${node.name}") must be written as an object literal ({ help, default, ... }) so they can be read without running the flow.`,
      file,
      line,
    );
  }
  let type: ParameterType | undefined;
  let shapeType: ParameterType | undefined;
  const readDefault = (expr: ts.Expression) => {
    const known = staticDefault(expr, sf);
    if (known.value && known.value.of === undefined) return;
    node.hasDefault = true;
    if (known.value) node.default = known.value.of;
    else node.defaultSource = expr.getText(sf);
    shapeType = known.type;
  };
  for (const prop of optsArg?.properties ?? []) {
    if (ts.isShorthandPropertyAssignment(prop) && prop.name.text === "default") {
      readDefault(prop.name); // `{ default }`: a module constant, or known only when the flow loads
      continue;
    }
    if (!ts.isPropertyAssignment(prop)) continue;
    const key = propertyKey(prop.name);
    const v = evaluateLiteral(prop.initializer);
    switch (key) {
      case "help":
        if (v.ok && typeof v.value === "string") node.help = v.value;
        break;
      case "required":
        node.required = v.ok && v.value === true;
        break;
      case "isText":
        if (v.ok && typeof v.value === "boolean") node.isText = v.value;
        break;
      case "default":
        readDefault(prop.initializer);
        break;
      case "type": {
        const t = calleeName(prop.initializer);
        if (!PARAMETER_TYPES.includes(t as ParameterType)) {
          throw new GraphError(
            `the type of ${callee}("${node.name}") must be one of String, Number, Boolean, JSONType (got ${prop.initializer.getText(sf)}).`,
            file,
            lineAt(sf, prop.getStart(sf)),
          );
        }
        type = t as ParameterType;
        break;
      }
    }
  }
  if (node.kind === "includefile") {
    node.isText ??= true; // Metaflow's IncludeFile is text unless told otherwise
    if (type) node.type = type;
    return node;
  }
  // Metaflow's rule: the type follows the default. One computed when the flow loads may leave it
  // open here (runtime/parameters then takes it from the value).
  const inferred = type ?? (node.hasDefault ? ("default" in node ? typeOfValue(node.default) : shapeType) : "String");
  if (inferred) node.type = inferred;
  return node;
}
