/**
 * Lint rules that need the source, not just the graph: where `this.next` sits in a body, its
 * form, how many parameters a join declares, and the literal options of `@step`.
 */
import ts from "typescript";
import { lintNames } from "./lint-names.js";
import { evaluateLiteral, propertyKey } from "./literal.js";
import { findFlowClass, lineAt, nextCalls, parseSource, stepMethods, tailNextCall, thisMember, type StepMethod } from "./syntax.js";
import { isStepOptionKey, STEP_OPTION_KEYS, stepOptionProblem } from "./step-options.js";
import type { LintProblem } from "./types.js";

export function lintSource(source: string, file: string, flowName: string): LintProblem[] {
  const sf = parseSource(source, file);
  const cls = findFlowClass(sf, file);
  const problems: LintProblem[] = [];
  for (const m of stepMethods(cls)) {
    const line = lineAt(sf, m.node.name.getStart(sf));
    const add = (rule: string, message: string): void => {
      problems.push({ rule, line, message });
    };
    joinParameters(m, flowName, add);
    nextPlacement(sf, m, add);
    for (const call of nextCalls(m.body)) nextForm(sf, m.name, call, add);
    stepOptions(sf, m, add);
  }
  problems.push(...lintNames(sf));
  return problems;
}

type Add = (rule: string, message: string) => void;

function joinParameters(m: StepMethod, flowName: string, add: Add): void {
  const n = m.node.parameters.length;
  if (n > 1) {
    add(
      "join-params",
      `step ${m.name} takes ${n} parameters: a join takes exactly one, \`${m.name}(inputs: Inputs<${flowName}>)\`, ` +
        `and a step that is not a join takes none.`,
    );
  }
}

function insideCondition(call: ts.Node, body: ts.Block): string | undefined {
  for (let n = call.parent; n && n !== body; n = n.parent) {
    if (ts.isIfStatement(n) || ts.isConditionalExpression(n) || ts.isSwitchStatement(n)) return "a condition";
    if (ts.isIterationStatement(n, false)) return "a loop";
    if (ts.isTryStatement(n)) return "a try block";
    if (ts.isArrowFunction(n)) return "a callback";
    if (
      ts.isBinaryExpression(n) &&
      [ts.SyntaxKind.AmpersandAmpersandToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken].includes(n.operatorToken.kind)
    ) {
      return "a condition";
    }
  }
  return undefined;
}

function nextPlacement(sf: ts.SourceFile, m: StepMethod, add: Add): void {
  const calls = nextCalls(m.body);
  if (calls.length === 0) return; // a missing call is a graph rule (missing-next / end)
  const lines = calls.map((c) => lineAt(sf, c.getStart(sf)));
  if (calls.length > 1) {
    add(
      "next-twice",
      `step ${m.name} calls this.next ${calls.length} times (lines ${lines.join(", ")}): a step has one transition; ` +
        `call this.next(...) exactly once, as its last statement.`,
    );
  }
  if (m.name === "end" || tailNextCall(m.body)) return;
  const nested = calls.map((c) => insideCondition(c, m.body)).find((w) => w !== undefined);
  add(
    "next-not-last",
    nested
      ? `this.next(...) in step ${m.name} (line ${lines[0]}) is inside ${nested}: transitions are static; ` +
          `call this.next(...) once, as the last statement of ${m.name}, outside any condition or loop.`
      : `this.next(...) must be the last statement of step ${m.name} (it is at line ${lines[lines.length - 1]}): ` +
          `move the code after it above the call.`,
  );
}

function nextForm(sf: ts.SourceFile, step: string, call: ts.CallExpression, add: Add): void {
  const usage = `use this.next(this.a), this.next(this.a, this.b) or this.next(this.a, { foreach: "items" })`;
  const args = call.arguments;
  if (args.length === 0) {
    add("next-form", `this.next() in step ${step} names no step: ${usage}.`);
    return;
  }
  args.forEach((arg, i) => {
    if (thisMember(arg) !== undefined && !ts.isElementAccessExpression(arg)) return;
    if (ts.isObjectLiteralExpression(arg) && i === args.length - 1 && i > 0) {
      for (const p of arg.properties) {
        const key = ts.isPropertyAssignment(p) ? propertyKey(p.name) : undefined;
        if (key !== "foreach") {
          add("next-form", `this.next(...) in step ${step} has an unknown option ${p.getText(sf)}: the only option is foreach.`);
          continue;
        }
        const v = evaluateLiteral((p as ts.PropertyAssignment).initializer);
        if (!v.ok || typeof v.value !== "string" || v.value === "") {
          add("next-form", `foreach in step ${step} must name an artifact as a string literal, e.g. { foreach: "items" } for this.items.`);
        }
      }
      if (arg.properties.length === 0) add("next-form", `this.next(...) in step ${step} has an empty options object: ${usage}.`);
      return;
    }
    add("next-form", `this.next(...) in step ${step} has an invalid argument ${arg.getText(sf)}: ${usage}.`);
  });
}

function stepOptions(_sf: ts.SourceFile, m: StepMethod, add: Add): void {
  const e = m.step.expression;
  if (!ts.isCallExpression(e)) return;
  const [arg, ...extra] = e.arguments;
  const example = `@step({ isolation: "process", memoryMb: 512, timeoutSeconds: 60, retries: 2 })`;
  if (extra.length > 0) add("step-options", `@step on ${m.name} takes one options object: ${example}.`);
  if (!arg) return;
  const v = evaluateLiteral(arg);
  if (!v.ok || typeof v.value !== "object" || v.value === null || Array.isArray(v.value)) {
    add("step-options", `the options of @step on ${m.name} must be a literal object, e.g. ${example}.`);
    return;
  }
  for (const [key, value] of Object.entries(v.value as Record<string, unknown>)) {
    if (!isStepOptionKey(key)) {
      add("step-options", `@step on ${m.name} has an unknown option ${key}: the options are ${STEP_OPTION_KEYS.join(", ")}.`);
      continue;
    }
    const problem = stepOptionProblem(key, value);
    if (problem) {
      const eg = problem.example === undefined ? "" : `, e.g. ${key}: ${JSON.stringify(problem.example)}`;
      const why = key === "catch" && problem.why && typeof value === "string" ? `; ${problem.why}` : "";
      add("step-options", `${key} of step ${m.name} must ${problem.must}${eg}${why}.`);
    }
  }
}
