/**
 * A cell becomes a module: setup cells at module scope, then a one-step flow class whose method
 * body is the cell (with `self` bound to the step's flow object, `inputs` for joins, parameters
 * as bare names, the helpers in scope), its last expression returned as the cell's value.
 * The line map turns positions in the generated module back into the user's cells.
 */
import ts from "typescript";
import { memoize } from "../support/index.js";

export const CELL_FLOW_CLASS = "NotebookCellFlow";
/** Every cell's method has this name, so a cell's module depends only on its code (and is cached). */
export const CELL_METHOD = "__cell";
export const CELL_SOURCE_NAME = "cell.ts";

const HELPERS = ["Flow", "Run", "Step", "Task", "Steplab", "namespace", "current", "display", "runFlow", "prompt", "registerArtifactClass"];

export interface CellModuleInput {
  /** Setup cells' bodies; lineOffset = cell line of the body's first line, minus one. */
  setup: { cell: number; code: string; lineOffset: number }[];
  parameters: string[];
  cell: number;
  lineOffset: number;
  body: string;
  isJoin: boolean;
  /** The module runs in a child process (`//% step NAME isolation=process`): "steplab" is bundled in. */
  forProcess?: boolean;
}

export interface LineOrigin {
  /** The cell the line came from, and whether it was a setup cell. */
  cell: number;
  setup: boolean;
  line: number;
}

export interface CellModule {
  source: string;
  /** False when nothing but "steplab" is imported: the module needs no bundling. */
  imports: boolean;
  /** True when no setup code or import runs at the module's top level: evaluating it only declares the cell's class. */
  declarationsOnly: boolean;
  /** Generated line (1-based) -> where it came from. */
  origin(line: number): LineOrigin | undefined;
}

function isAssignment(expr: ts.Expression): boolean {
  return (
    ts.isBinaryExpression(expr) &&
    expr.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
    expr.operatorToken.kind <= ts.SyntaxKind.LastAssignment
  );
}

/**
 * Moves the cell's imports to module scope (replacing them by blank lines so line numbers stay)
 * and turns a last bare expression into `return (...)`.
 */
export const transformBody = memoize(
  (body: string): { readonly body: string; readonly imports: readonly string[]; readonly importLines: readonly number[] } => {
    const sf = ts.createSourceFile("cell.ts", body, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const edits: { start: number; end: number; text: string }[] = [];
    const imports: string[] = [];
    const importLines: number[] = [];
    for (const stmt of sf.statements) {
      if (ts.isImportDeclaration(stmt) || ts.isImportEqualsDeclaration(stmt)) {
        const text = body.slice(stmt.getStart(sf), stmt.end);
        imports.push(text);
        importLines.push(sf.getLineAndCharacterOfPosition(stmt.getStart(sf)).line + 1);
        edits.push({ start: stmt.getStart(sf), end: stmt.end, text: text.replace(/[^\n]/g, "") });
      }
    }
    const last = sf.statements.at(-1);
    if (last && ts.isExpressionStatement(last) && !isAssignment(last.expression)) {
      const exprText = last.expression.getText(sf);
      edits.push({ start: last.getStart(sf), end: last.end, text: `return (${exprText});` });
    }
    let out = body;
    for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
    return { body: out, imports, importLines };
  },
  256,
);

function lineCount(text: string): number {
  return text === "" ? 0 : text.split("\n").length;
}

export function buildCellModule(input: CellModuleInput): CellModule {
  const origins: (LineOrigin | undefined)[] = [undefined]; // 1-based
  const lines: string[] = [];
  const push = (text: string, origin?: (i: number) => LineOrigin) => {
    text.split("\n").forEach((line, i) => {
      lines.push(line);
      origins.push(origin?.(i));
    });
  };
  const { body, imports } = transformBody(input.body);
  const importsPackages =
    input.forProcess === true || imports.length > 0 || input.setup.some((s) => /\bimport\b|\brequire\s*\(/.test(s.code));
  push(importsPackages ? `import * as __steplab from "steplab";` : `const __steplab: any = (globalThis as any).__steplabRuntime;`);
  for (const s of input.setup) push(s.code, (i) => ({ cell: s.cell, setup: true, line: s.lineOffset + i + 1 }));
  for (const imp of imports) push(imp, () => ({ cell: input.cell, setup: false, line: 0 }));
  push(`export class ${CELL_FLOW_CLASS} extends __steplab.FlowSpec {`);
  push(`async ${CELL_METHOD}(${input.isJoin ? "inputs: any" : ""}) {`);
  push(`const self: any = this; const { ${HELPERS.join(", ")} } = __steplab;`);
  if (input.parameters.length) push(`const { ${input.parameters.join(", ")} } = self;`);
  // The body gets its own block, so a cell may declare names the helpers use (`const display = ...`).
  push(`{`);
  if (lineCount(body)) push(body, (i) => ({ cell: input.cell, setup: false, line: input.lineOffset + i + 1 }));
  push(`}\n}\n}`);
  return {
    source: lines.join("\n"),
    imports: importsPackages,
    declarationsOnly: !importsPackages && input.setup.length === 0,
    origin: (line) => origins[line],
  };
}
