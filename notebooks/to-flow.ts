/** Notebook -> flow file. The conventions are listed at the top of convert.ts. */
import { basename } from "node:path";
import ts from "typescript";
import { GraphError, lintGraph, NOTEBOOK_ONLY, parseFlowSource, STEP_OPTION_KEYS, type StepOptions } from "../runtime/graph/index.js";
import { ConvertError, type ConvertProblem } from "./errors.js";
import { buildNotebookGraph, type NotebookCellInput, type NotebookGraph, type NotebookStep } from "./graph.js";
import { cellSource, cellTags, type Notebook } from "./ipynb.js";
import type { ParameterSpec } from "./parameters.js";
import { cellToMethodBody, indent, parse, syntaxError, trimBlankLines } from "./rewrite.js";

export interface NotebookToFlowOptions {
  /** The flow class name; default: a `%flow NAME` cell, else derived from `file`. */
  name?: string;
  /** The notebook's path: names the flow (word_scores.ipynb -> WordScoresFlow) and messages. */
  file?: string;
}

/** Members of the flow object itself: assigning them is the runtime's error to report, not an artifact to declare. */
const FLOW_MEMBERS = new Set(["input", "index", "next", "mergeArtifacts", "name"]);

/** Cell number given to the `start`/`end` steps convert adds; messages name them instead. */
const ADDED = -1;

/** word_scores.ipynb -> WordScoresFlow; a name already ending in "Flow" keeps it. */
export function flowNameFromFile(file: string): string {
  const stem = basename(file).replace(/\.[^.]*$/, "");
  const words = stem.split(/[^A-Za-z0-9]+/).filter((w) => w !== "");
  let name = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
  if (name === "" || /^[0-9]/.test(name)) name = `N${name}`;
  return name.endsWith("Flow") ? name : `${name}Flow`;
}

function problem(cell: number, step: string | undefined, message: string): ConvertProblem {
  const where = cell === ADDED ? `the ${step} step added by convert` : step === undefined ? `cell ${cell}` : `cell ${cell} (step ${step})`;
  return { ...(cell === ADDED ? {} : { cell }), ...(step !== undefined ? { step } : {}), message: `${where}: ${message}` };
}

function graphOf(inputs: NotebookCellInput[]): NotebookGraph {
  const graph = buildNotebookGraph(inputs);
  if (graph.errors.length > 0) {
    throw new ConvertError(graph.errors.map((e) => problem(e.cell, e.step, e.message.replace(/^cell -?\d+( \(step \w+\))?: /, ""))));
  }
  return graph;
}

/** `@step`, or `@step({ isolation: "process", memoryMb: 2048 })` for a cell's `//% step NAME OPTION=VALUE ...`. */
function stepDecorator(options: StepOptions | undefined): string {
  const set = STEP_OPTION_KEYS.filter((k) => options?.[k] !== undefined);
  if (set.length === 0) return "@step";
  return `@step({ ${set.map((k) => `${k}: ${JSON.stringify(options![k])}`).join(", ")} })`;
}

function jsDoc(doc: string, pad: string): string {
  const lines = doc.split("\n");
  if (lines.length === 1) return `${pad}/** ${doc} */\n`;
  return `${pad}/**\n${lines.map((l) => `${pad} *${l === "" ? "" : ` ${l}`}`).join("\n")}\n${pad} */\n`;
}

function commentBlock(marker: string, text: string, pad: string): string {
  const lines = trimBlankLines(text).split("\n");
  return `${[`${pad}// %% [${marker}]`, ...lines.map((l) => (l === "" ? `${pad}//` : `${pad}// ${l}`))].join("\n")}\n`;
}

function parameterField(p: ParameterSpec): string {
  const opts: string[] = [];
  if (p.help !== undefined) opts.push(`help: ${JSON.stringify(p.help)}`);
  if (p.required) opts.push("required: true");
  else opts.push(`default: ${p.source}`);
  opts.push(`type: ${p.type}`);
  return `  ${p.name} = Parameter(${JSON.stringify(p.cliName ?? p.name)}, { ${opts.join(", ")} });\n`;
}

/** Setup cells' code with their `steplab` imports taken out (they merge into the header). */
function splitSetup(code: string, cell: number, names: Set<string>, problems: ConvertProblem[]): string {
  const sf = parse(code);
  const error = syntaxError(sf);
  if (error) {
    problems.push(problem(cell, undefined, `line ${error.line}: syntax error: ${error.message}`));
    return code;
  }
  const cuts: [number, number][] = [];
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || st.moduleSpecifier.text !== "steplab") continue;
    const named = st.importClause?.namedBindings;
    if (st.importClause?.name || (named && !ts.isNamedImports(named))) continue; // default/namespace imports stay as written
    for (const el of named && ts.isNamedImports(named) ? named.elements : []) {
      names.add(`${el.isTypeOnly || st.importClause?.isTypeOnly ? "type " : ""}${el.getText(sf).replace(/^type\s+/, "")}`);
    }
    cuts.push([st.getStart(sf), st.end]);
  }
  let out = code;
  for (const [a, b] of cuts.reverse()) out = out.slice(0, a) + out.slice(b).replace(/^[ \t]*\n/, "");
  return trimBlankLines(out);
}

interface Emitted {
  text: string;
  /** 1-based output lines of each method, for mapping lint problems back to cells. */
  ranges: { from: number; to: number; cell: number; step: string }[];
}

/**
 * The notebook as a flow file's source. Throws ConvertError (every problem names its cell) when
 * the cells do not make a valid flow.
 */
export function notebookToFlow(nb: Notebook, options: NotebookToFlowOptions = {}): string {
  const inputs: NotebookCellInput[] = nb.cells.map((c, i) => ({
    source: cellSource(c),
    tags: cellTags(c),
    cellType: c.cell_type,
    index: i + 1,
    id: c.id,
  }));
  let graph = graphOf(inputs);
  if (graph.steps.length === 0) {
    throw new ConvertError([
      { message: "the notebook has no step cells: a code cell without //% setup, //% parameters or //% skip is a step" },
    ]);
  }
  // Prototypes may lack `start` or `end`; a flow needs both, so convert adds empty ones.
  const added: NotebookCellInput[] = [];
  if (!graph.steps.some((s) => s.name === "start")) added.push({ source: "//% step start\n", index: ADDED });
  const withStart = [...added, ...inputs];
  if (!graph.steps.some((s) => s.name === "end")) withStart.push({ source: "//% step end\n", index: ADDED });
  if (withStart.length !== inputs.length) graph = graphOf(withStart);

  const flowName = options.name ?? graph.flowName ?? (options.file ? flowNameFromFile(options.file) : "NotebookFlow");
  const file = options.file ? `${options.file.replace(/\.ipynb$/i, "")}.ts` : `${flowName}.ts`;
  const problems: ConvertProblem[] = [];
  const paramNames = new Set(graph.parameters.map((p) => p.name));

  // Module scope: setup cells in order.
  const steplabNames = new Set<string>();
  const setup: string[] = [];
  for (const info of graph.cells) {
    if (info.directives?.kind === "setup") {
      const code = splitSetup(info.directives.body, info.index, steplabNames, problems);
      if (code !== "") setup.push(code);
    }
  }

  // Step methods.
  const stepOf = new Map(graph.steps.map((s) => [s.cell === ADDED ? `+${s.name}` : String(s.cell), s]));
  const methods = new Map<NotebookStep, { head: string; body: string }>();
  const artifacts = new Set<string>();
  // Helpers a cell has in scope (display, Flow, ...) that the flow file has to import.
  const helpers = new Set<string>();
  for (const s of graph.steps) {
    const m = cellToMethodBody(s.directives.code, paramNames);
    const { body: cellBody, code } = s.directives;
    const docLines = cellBody.slice(0, cellBody.length - code.length).split("\n").length - 1;
    const lineOffset = s.directives.bodyLine - 1 + docLines;
    if (m.syntaxError)
      problems.push(problem(s.cell, s.name, `line ${m.syntaxError.line + lineOffset}: syntax error: ${m.syntaxError.message}`));
    for (const l of m.importLines) {
      problems.push(
        problem(
          s.cell,
          s.name,
          `line ${l + lineOffset}: imports belong in a setup cell (//% setup), which is module scope in the flow file`,
        ),
      );
    }
    for (const h of m.helpers) {
      const only = NOTEBOOK_ONLY[h];
      if (only !== undefined) problems.push(problem(s.cell, s.name, `${only}: move that code to a skip cell (//% skip)`));
      else helpers.add(h);
    }
    for (const a of m.assigns) if (!paramNames.has(a) && !FLOW_MEMBERS.has(a)) artifacts.add(a);
    const args = s.isJoin ? `inputs: Inputs<${flowName}>` : "";
    let next = "";
    if (s.foreach !== undefined && s.next[0] !== undefined)
      next = `this.next(this.${s.next[0]}, { foreach: ${JSON.stringify(s.foreach)} });`;
    else if (s.next.length > 0) next = `this.next(${s.next.map((n) => `this.${n}`).join(", ")});`;
    const body = [m.body, next].filter((x) => x !== "").join("\n");
    methods.set(s, { head: `${stepDecorator(s.directives.options)} ${m.usesAwait ? "async " : ""}${s.name}(${args})`, body });
  }
  if (problems.length > 0) throw new ConvertError(problems);

  const usesJoin = graph.steps.some((s) => s.isJoin);
  const usesJson = graph.parameters.some((p) => p.type === "JSONType");
  const header = [
    "FlowSpec",
    "step",
    ...(graph.parameters.length > 0 ? ["Parameter"] : []),
    ...(usesJson ? ["JSONType"] : []),
    ...(usesJoin ? ["type Inputs"] : []),
  ];
  for (const n of [...steplabNames, ...helpers]) if (!header.includes(n) && !header.includes(n.replace(/^type /, ""))) header.push(n);

  // The notebook's first markdown cell, when nothing but magics comes before it, describes the
  // flow: it becomes the class's JSDoc (what `show` prints), as flowToNotebook writes it.
  const firstCode = graph.cells.find((c) => c.index !== ADDED && c.cellType === "code" && c.directives?.kind !== "magic");
  const docCell = graph.cells.find((c) => c.cellType === "markdown" && (firstCode === undefined || c.index < firstCode.index));
  const flowDoc = docCell ? trimBlankLines(cellSource(nb.cells[docCell.index - 1]!)).replace(/\*\//g, "*\\/") : "";

  const out: Emitted = { text: "", ranges: [] };
  const emit = (s: string): void => {
    out.text += s;
  };
  const lineNow = (): number => out.text.split("\n").length;
  emit(`import { ${header.join(", ")} } from "steplab";\n`);
  for (const code of setup) emit(`\n${code}\n`);
  emit(`\n${flowDoc !== "" ? jsDoc(flowDoc, "") : ""}export class ${flowName} extends FlowSpec {\n`);
  for (const a of [...artifacts].sort()) emit(`  declare ${a}: any;\n`);
  for (const p of graph.parameters) emit(parameterField(p));

  let pending: string[] = [];
  const emitStep = (s: NotebookStep): void => {
    const m = methods.get(s)!;
    emit(`\n${pending.map((p) => `${p}\n`).join("")}`);
    pending = [];
    const from = lineNow();
    if (s.doc !== undefined) emit(jsDoc(s.doc, "  "));
    if (m.body === "") emit(`  ${m.head} {}\n`);
    else emit(`  ${m.head} {\n${indent(m.body, "    ")}\n  }\n`);
    out.ranges.push({ from, to: lineNow() - 1, cell: s.cell, step: s.name });
  };
  const first = graph.steps[0];
  if (first && first.cell === ADDED) emitStep(first);
  for (const info of graph.cells) {
    const d = info.directives;
    if (info.cellType === "markdown" && info !== docCell)
      pending.push(commentBlock("markdown", cellSource(nb.cells[info.index - 1]!), "  "));
    else if (d?.kind === "skip") pending.push(commentBlock("skip", cellSource(nb.cells[info.index - 1]!), "  "));
    const s = stepOf.get(String(info.index));
    if (s) emitStep(s);
  }
  const last = stepOf.get("+end");
  if (last) emitStep(last);
  else if (pending.length > 0) emit(`\n${pending.join("")}`);
  emit("}\n");

  lintOutput(out, file);
  return out.text;
}

/** The flow must pass the same checks as a hand-written one; problems are mapped to cells. */
function lintOutput(out: Emitted, file: string): void {
  const cellOf = (line: number): ConvertProblem | undefined => {
    const r = out.ranges.find((x) => line >= x.from && line <= x.to);
    return r ? { cell: r.cell, step: r.step, message: "" } : undefined;
  };
  const toProblem = (line: number, message: string): ConvertProblem => {
    const at = cellOf(line);
    if (at?.cell !== undefined) return problem(at.cell, at.step, message);
    return { message: `flow: ${message}` };
  };
  let problems: ConvertProblem[];
  try {
    const graph = parseFlowSource(out.text, file);
    problems = lintGraph(graph, out.text).map((p) => toProblem(p.line, p.message));
  } catch (e) {
    if (!(e instanceof GraphError)) throw e;
    problems = [toProblem(e.line, e.message)];
  }
  if (problems.length > 0) throw new ConvertError(problems);
}
