/** Flow file -> notebook. The conventions are listed at the top of convert.ts. */
import ts from "typescript";
import { parseFlowSource, STEP_OPTION_KEYS, type FlowGraph, type ParameterNode, type StepNode } from "../runtime/graph/index.js";
import { ConvertError, type ConvertProblem } from "./errors.js";
import { buildNotebookGraph } from "./graph.js";
import { cellSource, cellTags, codeCell, markdownCell, newNotebook, type Notebook, type NotebookCell } from "./ipynb.js";
import { parseParametersCell } from "./parameters.js";
import { dedent, methodBodyToCell, trimBlankLines } from "./rewrite.js";

const STEPLAB_ONLY = new Set(["FlowSpec", "step", "Parameter", "IncludeFile", "JSONType", "Inputs"]);

function docComment(doc: string): string {
  const lines = doc.split("\n");
  if (lines.length === 1) return `/** ${doc} */`;
  return ["/**", ...lines.map((l) => (l === "" ? " *" : ` * ${l}`)), " */"].join("\n");
}

/** Module scope without the flow class and without the steplab names a flow file needs. */
function moduleScope(sf: ts.SourceFile, cls: ts.ClassDeclaration, extra: string[]): string {
  const parts: string[] = [];
  // convert writes a blank line after the steplab import it generates; reading it back must not
  // add one to the setup cell each round trip.
  let afterSteplabImport = false;
  for (const st of sf.statements) {
    if (st === cls) continue;
    const follows = afterSteplabImport;
    afterSteplabImport = false;
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier) && st.moduleSpecifier.text === "steplab") {
      const named = st.importClause?.namedBindings;
      if (st.importClause?.name || (named && !ts.isNamedImports(named))) {
        parts.push(st.getText(sf));
        continue;
      }
      const kept = (named && ts.isNamedImports(named) ? named.elements : []).filter(
        (el) => !STEPLAB_ONLY.has((el.propertyName ?? el.name).text),
      );
      if (kept.length > 0) parts.push(`import { ${kept.map((el) => el.getText(sf)).join(", ")} } from "steplab";`);
      afterSteplabImport = true;
      continue;
    }
    // Keep the statement with its own leading comments, and one blank line where there was one.
    const text = trimBlankLines(sf.text.slice(st.getFullStart(), st.end));
    if (parts.length > 0 && !follows && /^[ \t]*\n[ \t]*\n/.test(sf.text.slice(st.getFullStart(), st.getStart(sf)))) parts.push("");
    parts.push(text);
  }
  const code = parts.join("\n").replace(/\n{3,}/g, "\n\n");
  return [code, ...extra].filter((x) => x.trim() !== "").join("\n\n");
}

function parameterLines(p: ParameterNode, member: ts.PropertyDeclaration | undefined, sf: ts.SourceFile): string {
  if (p.kind === "includefile") {
    return `// ${p.field} = IncludeFile(${JSON.stringify(p.name)}): a notebook cannot include files; read it in a step instead`;
  }
  let init: ts.Expression | undefined = member?.initializer;
  while (init && (ts.isAsExpression(init) || ts.isSatisfiesExpression(init) || ts.isParenthesizedExpression(init))) init = init.expression;
  const opts = init && ts.isCallExpression(init) ? init.arguments[1] : undefined;
  let value: string | undefined;
  for (const prop of opts && ts.isObjectLiteralExpression(opts) ? opts.properties : []) {
    const isDefault =
      (ts.isPropertyAssignment(prop) || ts.isShorthandPropertyAssignment(prop)) && prop.name.getText(sf).replace(/["']/g, "") === "default";
    if (!isDefault) continue;
    value = ts.isPropertyAssignment(prop) ? prop.initializer.getText(sf) : "default";
    try {
      parseParametersCell(`const x = ${value};`);
    } catch {
      throw new ConvertError([
        {
          message: `parameter ${p.name} (line ${p.line}): its default \`${value}\` is computed, but a notebook parameters cell holds literal defaults: make it a literal, or compute the value in start`,
        },
      ]);
    }
  }
  const inferred =
    p.default === undefined
      ? undefined
      : typeof p.default === "number"
        ? "Number"
        : typeof p.default === "string"
          ? "String"
          : typeof p.default === "boolean"
            ? "Boolean"
            : "JSONType";
  const tags: string[] = [];
  if (p.name !== p.field) tags.push(`@name ${p.name}`);
  if (p.type !== undefined && p.type !== inferred) tags.push(`@type ${p.type}`);
  if (p.required || value === undefined) tags.push("@required");
  const doc = [p.help, ...tags].filter((x): x is string => x !== undefined && x !== "").join(" ");
  return `${doc !== "" ? `${docComment(doc)}\n` : ""}const ${p.field} = ${value ?? "null"};`;
}

/** `// %% [markdown]` / `// %% [skip]` comment blocks written by notebookToFlow, back into cells. */
function commentCells(text: string, pos: number): NotebookCell[] {
  const cells: NotebookCell[] = [];
  let current: { kind: string; lines: string[] } | undefined;
  const flush = (): void => {
    if (!current) return;
    const body = trimBlankLines(current.lines.join("\n"));
    if (current.kind === "markdown") cells.push(markdownCell(body));
    else cells.push(codeCell(/^\s*\/\/%\s*skip\b/m.test(body) ? body : `//% skip\n${body}`, ["skip"]));
    current = undefined;
  };
  for (const r of ts.getLeadingCommentRanges(text, pos) ?? []) {
    const c = text.slice(r.pos, r.end);
    const marker = /^\/\/ %% \[(markdown|skip)\]\s*$/.exec(c);
    if (marker) {
      flush();
      current = { kind: marker[1]!, lines: [] };
    } else if (current && r.kind === ts.SyntaxKind.SingleLineCommentTrivia) {
      current.lines.push(c.replace(/^\/\/ ?/, ""));
    } else flush();
  }
  flush();
  return cells;
}

function memberName(m: ts.ClassElement, sf: ts.SourceFile): string | undefined {
  return m.name ? m.name.getText(sf).replace(/["']/g, "") : undefined;
}

/** Cell ids that say what the cell is (stable across conversions, readable in diffs). */
function assignIds(cells: NotebookCell[]): void {
  const used = new Set<string>();
  let md = 0;
  for (const c of cells) {
    const tags = cellTags(c);
    const step = tags.find((t) => t.startsWith("step:"))?.slice(5);
    let id =
      c.cell_type === "markdown"
        ? `markdown-${++md}`
        : step
          ? `step-${step}`
          : tags.includes("setup")
            ? "setup"
            : tags.includes("parameters")
              ? "parameters"
              : tags.includes("skip")
                ? "skip"
                : "flow";
    const base = id;
    for (let i = 2; used.has(id); i++) id = `${base}-${i}`;
    used.add(id);
    c.id = id;
  }
}

/** The notebook a flow file becomes; throws ConvertError when its graph cannot be said with cells. */
export function flowToNotebook(source: string, file: string): Notebook {
  const graph = parseFlowSource(source, file);
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const cls = sf.statements.find((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && s.name?.text === graph.name)!;
  const stepNames = new Set(graph.steps.map((s) => s.name));
  const paramFields = new Set(graph.parameters.map((p) => p.field));

  // Class members that are neither steps, parameters nor `declare`d artifacts have no cell.
  const leftovers: string[] = [];
  for (const m of cls.members) {
    const name = memberName(m, sf);
    const isDeclare = ts.isPropertyDeclaration(m) && (ts.getModifiers(m) ?? []).some((x) => x.kind === ts.SyntaxKind.DeclareKeyword);
    if (name !== undefined && (stepNames.has(name) || paramFields.has(name))) continue;
    if (isDeclare || ts.isSemicolonClassElement(m)) continue;
    const text = dedent(sf.text.slice(m.getFullStart(), m.end)).trim();
    leftovers.push(
      `// Class member of ${graph.name} with no notebook equivalent (steps use self.NAME artifacts and setup functions):\n${text.replace(/^/gm, "// ")}`,
    );
  }

  const cells: NotebookCell[] = [codeCell(`%flow ${graph.name}`)];
  if (graph.doc !== undefined) cells.push(markdownCell(graph.doc));
  const setup = moduleScope(sf, cls, leftovers);
  if (setup !== "") cells.push(codeCell(`//% setup\n${setup}`, ["setup"]));
  if (graph.parameters.length > 0) {
    const members = new Map(cls.members.filter(ts.isPropertyDeclaration).map((m) => [memberName(m, sf), m]));
    const lines = graph.parameters.map((p) => parameterLines(p, members.get(p.field), sf));
    cells.push(codeCell(`//% parameters\n${lines.join("\n")}`, ["parameters"]));
  }

  // Steps in source order, `start` first; each preceded by the comment cells above its method.
  const groups: { step?: StepNode; cells: NotebookCell[] }[] = [];
  const byName = new Map(graph.steps.map((s) => [s.name, s]));
  for (const m of cls.members) {
    const step = byName.get(memberName(m, sf) ?? "");
    const comments = commentCells(sf.text, m.getFullStart());
    groups.push(step && ts.isMethodDeclaration(m) ? { step, cells: comments } : { cells: comments });
  }
  const trailing = commentCells(sf.text, cls.members.end);
  const startAt = groups.findIndex((g) => g.step?.name === "start");
  const firstStep = groups.findIndex((g) => g.step !== undefined);
  if (startAt > firstStep && firstStep >= 0) groups.splice(firstStep, 0, ...groups.splice(startAt, 1));

  let above: string | undefined;
  for (const g of groups) {
    cells.push(...g.cells);
    const s = g.step;
    if (!s) continue;
    const parents = s.inFuncs;
    const foreach = parents.length === 1 ? byName.get(parents[0]!)?.foreach : undefined;
    const needsPrev = !(parents.length === 0 ? above === undefined : parents.length === 1 && parents[0] === above);
    const options = STEP_OPTION_KEYS.filter((k) => s.options[k] !== undefined).map((k) => ` ${k}=${s.options[k]}`);
    const directives = [`//% step ${s.name}${foreach !== undefined ? ` foreach ${foreach}` : ""}${options.join("")}`];
    const tags = [`step:${s.name}`];
    if (foreach !== undefined) tags.push(`foreach:${foreach}`);
    if (needsPrev && parents.length > 0) {
      directives.push(`//% prev ${parents.join(" ")}`);
      tags.push(`prev:${parents.join(",")}`);
    }
    const body = methodBodyToCell(source.slice(s.bodyStart, s.bodyEnd));
    const text = [...directives, ...(s.doc !== undefined ? [docComment(s.doc)] : []), ...(body !== "" ? [body] : [])].join("\n");
    cells.push(codeCell(text, tags));
    above = s.name;
  }
  cells.push(...trailing);
  assignIds(cells);

  verifyGraph(graph, cells);
  return newNotebook(cells);
}

/** The notebook must declare the flow's graph; some shapes (a linear step inside a foreach) cannot. */
function verifyGraph(flow: FlowGraph, cells: NotebookCell[]): void {
  const nbGraph = buildNotebookGraph(cells.map((c) => ({ source: cellSource(c), tags: cellTags(c), cellType: c.cell_type })));
  const problems: ConvertProblem[] = nbGraph.errors.map((e) =>
    e.step !== undefined
      ? { step: e.step, message: `step ${e.step}: ${e.message.replace(/^cell \d+ \(step \w+\): /, "")}` }
      : { message: e.message },
  );
  for (const s of flow.steps) {
    const n = nbGraph.steps.find((x) => x.name === s.name);
    if (!n) continue;
    if (n.isJoin !== s.isJoin) {
      const why = s.isJoin
        ? `is a join in ${flow.name}, but in a notebook only a step after a foreach step or with several parents is one`
        : `follows a step inside a foreach without joining it; in a notebook the step after a foreach step is its join, so ${s.name} cannot be written as a cell: make it part of the foreach step or its join`;
      problems.push({ step: s.name, message: `step ${s.name} (line ${s.line}): ${s.name} ${why}` });
    }
  }
  if (problems.length > 0) throw new ConvertError(problems);
}
