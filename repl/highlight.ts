/**
 * Syntax colouring for the prompt. TypeScript's own scanner does the lexing, so what the prompt
 * colours as a string or a keyword is exactly what the compiler will see.
 */
import ts from "typescript";
import chalk from "chalk";

export type TokenKind = "plain" | "keyword" | "string" | "number" | "comment" | "regexp" | "directive" | "magic";

export interface Span {
  start: number;
  end: number;
  kind: TokenKind;
}

const K = ts.SyntaxKind;

/** Tokens after which a `/` divides; anywhere else it starts a regular expression. */
const ENDS_EXPRESSION = new Set<ts.SyntaxKind>([
  K.Identifier,
  K.NumericLiteral,
  K.BigIntLiteral,
  K.StringLiteral,
  K.NoSubstitutionTemplateLiteral,
  K.TemplateTail,
  K.CloseParenToken,
  K.CloseBracketToken,
  K.CloseBraceToken,
  K.ThisKeyword,
  K.SuperKeyword,
  K.TrueKeyword,
  K.FalseKeyword,
  K.NullKeyword,
  K.PlusPlusToken,
  K.MinusMinusToken,
]);

function kindOf(token: ts.SyntaxKind): TokenKind {
  if (token >= K.FirstKeyword && token <= K.LastKeyword) return "keyword";
  switch (token) {
    case K.StringLiteral:
    case K.NoSubstitutionTemplateLiteral:
    case K.TemplateHead:
    case K.TemplateMiddle:
    case K.TemplateTail:
      return "string";
    case K.NumericLiteral:
    case K.BigIntLiteral:
      return "number";
    case K.SingleLineCommentTrivia:
    case K.MultiLineCommentTrivia:
      return "comment";
    case K.RegularExpressionLiteral:
      return "regexp";
    default:
      return "plain";
  }
}

/** Coloured spans over `code` (only non-plain spans are returned). */
export function tokenize(code: string): Span[] {
  const spans: Span[] = [];
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, /*skipTrivia*/ false, ts.LanguageVariant.Standard, code);
  // Brace depth at which each open template expression `${` started, to rescan its continuation.
  const templates: number[] = [];
  let depth = 0;
  let prev: ts.SyntaxKind = K.Unknown;
  for (let token = scanner.scan(); token !== K.EndOfFileToken; token = scanner.scan()) {
    if (token === K.SlashToken || token === K.SlashEqualsToken) {
      if (!ENDS_EXPRESSION.has(prev)) token = scanner.reScanSlashToken();
    } else if (token === K.OpenBraceToken) {
      depth++;
    } else if (token === K.CloseBraceToken) {
      if (templates.length > 0 && templates[templates.length - 1] === depth) {
        token = scanner.reScanTemplateToken(false);
        if (token === K.TemplateTail) templates.pop();
      } else depth--;
    }
    if (token === K.TemplateHead) templates.push(depth);
    const start = scanner.getTokenStart();
    const end = scanner.getTokenEnd();
    let kind = kindOf(token);
    if (token === K.SingleLineCommentTrivia && code.startsWith("//%", start)) kind = "directive";
    if (kind !== "plain") spans.push({ start, end, kind });
    if (
      token !== K.WhitespaceTrivia &&
      token !== K.NewLineTrivia &&
      token !== K.SingleLineCommentTrivia &&
      token !== K.MultiLineCommentTrivia
    ) {
      prev = token;
    }
  }
  // A line starting with `%` is a magic: the whole line is one colour whatever it contains.
  const magic = /^%.*$/gm;
  for (let m = magic.exec(code); m; m = magic.exec(code)) {
    spans.push({ start: m.index, end: m.index + m[0].length, kind: "magic" });
  }
  return spans;
}

/** The kind of each UTF-16 unit of `code` (later spans win, so magics override the scanner). */
export function kindsByOffset(code: string): TokenKind[] {
  const kinds: TokenKind[] = new Array<TokenKind>(code.length).fill("plain");
  for (const s of tokenize(code)) for (let i = s.start; i < s.end && i < code.length; i++) kinds[i] = s.kind;
  return kinds;
}

export const paint: Record<TokenKind, (s: string) => string> = {
  plain: (s) => s,
  keyword: (s) => chalk.magenta(s),
  string: (s) => chalk.green(s),
  number: (s) => chalk.yellow(s),
  comment: (s) => chalk.gray(s),
  regexp: (s) => chalk.red(s),
  directive: (s) => chalk.cyan.bold(s),
  magic: (s) => chalk.cyan(s),
};

/** `code` with ANSI colours (for echoing finished cells). */
export function highlight(code: string): string {
  const kinds = kindsByOffset(code);
  let out = "";
  let i = 0;
  while (i < code.length) {
    const kind = kinds[i] ?? "plain";
    let j = i + 1;
    while (j < code.length && kinds[j] === kind && code[j] !== "\n") j++;
    // Colour never spans a newline, so each printed line carries its own escape codes.
    out += code[i] === "\n" ? "\n" : paint[kind](code.slice(i, j));
    if (code[i] === "\n") j = i + 1;
    i = j;
  }
  return out;
}
