/**
 * Whether a cell is ready to run (Jupyter's is_complete, the REPL's Enter): a scan for unclosed
 * brackets, templates, comments and line continuations, and a parse for everything else. An error
 * the parser reports only at the end of the text means "keep typing"; one before it means invalid.
 */
import ts from "typescript";
import { blankMagics } from "./cell-text.js";
import type { CellCompleteness } from "./types.js";

const INDENT = "  ";

type Open = "{" | "(" | "[" | "${";
const CLOSER: Partial<Record<ts.SyntaxKind, Open>> = {
  [ts.SyntaxKind.CloseBraceToken]: "{",
  [ts.SyntaxKind.CloseParenToken]: "(",
  [ts.SyntaxKind.CloseBracketToken]: "[",
};

/** After these a `/` divides; anywhere else it starts a regular expression. */
const ENDS_EXPRESSION = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.Identifier,
  ts.SyntaxKind.NumericLiteral,
  ts.SyntaxKind.BigIntLiteral,
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateTail,
  ts.SyntaxKind.RegularExpressionLiteral,
  ts.SyntaxKind.CloseParenToken,
  ts.SyntaxKind.CloseBracketToken,
  ts.SyntaxKind.CloseBraceToken,
  ts.SyntaxKind.PlusPlusToken,
  ts.SyntaxKind.MinusMinusToken,
  ts.SyntaxKind.ThisKeyword,
  ts.SyntaxKind.SuperKeyword,
  ts.SyntaxKind.TrueKeyword,
  ts.SyntaxKind.FalseKeyword,
  ts.SyntaxKind.NullKeyword,
]);

interface Scan {
  /** "incomplete" or "invalid" when the tokens alone decide it. */
  verdict?: CellCompleteness;
  open: Open[];
  /** End of the last token that is not trivia. */
  lastTokenEnd: number;
}

function indentFor(open: Open[]): string {
  return INDENT.repeat(open.filter((o) => o !== "${").length);
}

function scan(text: string): Scan {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text);
  const open: Open[] = [];
  let previous = ts.SyntaxKind.Unknown;
  let lastTokenEnd = 0;
  for (;;) {
    let kind = scanner.scan();
    if (kind === ts.SyntaxKind.EndOfFileToken) break;
    if ((kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken) && !ENDS_EXPRESSION.has(previous)) {
      kind = scanner.reScanSlashToken();
    } else if (kind === ts.SyntaxKind.CloseBraceToken && open.at(-1) === "${") {
      open.pop();
      kind = scanner.reScanTemplateToken(false);
      if (kind === ts.SyntaxKind.TemplateMiddle) open.push("${");
    }
    const unterminated = scanner.isUnterminated();
    lastTokenEnd = scanner.getTokenEnd();
    switch (kind) {
      case ts.SyntaxKind.OpenBraceToken:
        open.push("{");
        break;
      case ts.SyntaxKind.OpenParenToken:
        open.push("(");
        break;
      case ts.SyntaxKind.OpenBracketToken:
        open.push("[");
        break;
      case ts.SyntaxKind.TemplateHead:
        open.push("${");
        break;
      case ts.SyntaxKind.CloseBraceToken:
      case ts.SyntaxKind.CloseParenToken:
      case ts.SyntaxKind.CloseBracketToken:
        if (open.pop() !== CLOSER[kind]) return { verdict: { status: "invalid" }, open, lastTokenEnd };
        break;
      case ts.SyntaxKind.NoSubstitutionTemplateLiteral:
      case ts.SyntaxKind.TemplateMiddle:
      case ts.SyntaxKind.TemplateTail:
        // Text after an unclosed backtick is the literal's content: no indent.
        if (unterminated) return { verdict: { status: "incomplete", indent: "" }, open, lastTokenEnd };
        break;
      case ts.SyntaxKind.StringLiteral:
        if (unterminated) {
          // A string ends at the line's end unless the line ends with a backslash (continuation).
          const continues = /\\\r?\n?$/.test(text.slice(0, scanner.getTokenEnd())) && scanner.getTokenEnd() >= text.length;
          return { verdict: continues ? { status: "incomplete", indent: "" } : { status: "invalid" }, open, lastTokenEnd };
        }
        break;
      case ts.SyntaxKind.MultiLineCommentTrivia:
        if (unterminated) return { verdict: { status: "incomplete", indent: indentFor(open) }, open, lastTokenEnd };
        break;
    }
    if (kind !== ts.SyntaxKind.MultiLineCommentTrivia && kind !== ts.SyntaxKind.SingleLineCommentTrivia) previous = kind;
  }
  return { open, lastTokenEnd };
}

/** Syntax errors of `text` read as a module body (where top-level await is allowed). */
function parseErrors(text: string): readonly ts.DiagnosticWithLocation[] {
  const source = ts.createSourceFile(
    "cell.mts",
    text,
    { languageVersion: ts.ScriptTarget.Latest, impliedNodeFormat: ts.ModuleKind.ESNext },
    false,
    ts.ScriptKind.TS,
  );
  return (source as unknown as { parseDiagnostics: ts.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
}

/** Only `//% ...` directive lines so far: the cell says what it is, but not yet what it does. */
function onlyDirectives(text: string): boolean {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  return lines.length > 0 && lines.every((l) => /^\s*\/\/%/.test(l));
}

export function isComplete(code: string): CellCompleteness {
  const text = blankMagics(code);
  if (text.trim() === "") return { status: "complete" };
  if (onlyDirectives(text)) return { status: "incomplete", indent: "" };
  const scanned = scan(text);
  if (scanned.verdict) return scanned.verdict;
  const errors = parseErrors(text);
  if (errors.length === 0) return scanned.open.length ? { status: "incomplete", indent: indentFor(scanned.open) } : { status: "complete" };
  if (errors.every((e) => e.start >= scanned.lastTokenEnd)) return { status: "incomplete", indent: indentFor(scanned.open) };
  return { status: "invalid" };
}
