/** Cell completion from the language service's entries, reshaped to Jupyter's one-span answer. */
import ts from "typescript";
import { lineBefore, wordAt } from "./cell-text.js";
import type { CellCompletion } from "./types.js";
import { CELL_FUNCTION, type VirtualFile } from "./virtual-file.js";

const DIRECTIVES = ["step", "prev", "foreach", "setup", "parameters", "skip"];

const PREFERENCES: ts.GetCompletionsAtPositionOptions = {
  includeCompletionsWithInsertText: true,
  includeAutomaticOptionalChainCompletions: true,
  includeCompletionsForModuleExports: false,
  includeCompletionsWithSnippetText: false,
  includeCompletionsWithClassMemberSnippets: false,
  includeCompletionsWithObjectLiteralMethodSnippets: false,
};

/** JupyterLab's completer icons know these names. */
function jupyterType(kind: string): string {
  const E = ts.ScriptElementKind;
  switch (kind) {
    case E.functionElement:
    case E.localFunctionElement:
    case E.memberFunctionElement:
    case E.constructSignatureElement:
    case E.callSignatureElement:
      return "function";
    case E.classElement:
    case E.localClassElement:
    case E.interfaceElement:
    case E.typeElement:
    case E.enumElement:
    case E.typeParameterElement:
    case E.alias:
      return "class";
    case E.moduleElement:
    case E.externalModuleName:
      return "module";
    case E.keyword:
      return "keyword";
    case E.memberVariableElement:
    case E.memberGetAccessorElement:
    case E.memberSetAccessorElement:
    case E.enumMemberElement:
      return "property";
    case E.parameterElement:
      return "param";
    case E.string:
      return "path";
    case E.variableElement:
    case E.localVariableElement:
    case E.constElement:
    case E.letElement:
    case E.variableUsingElement:
    case E.variableAwaitUsingElement:
      return "instance";
    default:
      return "text";
  }
}

function answer(matches: { text: string; type: string }[], start: number, end: number): CellCompletion {
  return {
    matches: matches.map((m) => m.text),
    cursorStart: start,
    cursorEnd: end,
    metadata: { _jupyter_types_experimental: matches.map((m) => ({ start, end, text: m.text, type: m.type })) },
  };
}

/** `%da` completes magics, `//% st` completes directive words. */
export function completeMagicOrDirective(code: string, cursor: number, magics: readonly string[]): CellCompletion | undefined {
  const line = lineBefore(code, cursor);
  const magic = /^([ \t]*)(%[A-Za-z_]*)$/.exec(line.text);
  const word = wordAt(code, cursor);
  if (magic) {
    const start = line.start + magic[1]!.length;
    const typed = magic[2]!.slice(1);
    const found = magics.filter((m) => m.startsWith(typed)).map((m) => ({ text: `%${m}`, type: "magic" }));
    return answer(found, start, word.end);
  }
  if (/^[ \t]*\/\/%[ \t]*[A-Za-z]*$/.test(line.text)) {
    const typed = code.slice(word.start, cursor);
    const found = DIRECTIVES.filter((d) => d.startsWith(typed)).map((d) => ({ text: d, type: "keyword" }));
    return answer(found, word.start, word.end);
  }
  return undefined;
}

export function completeAt(service: ts.LanguageService, file: VirtualFile, fileName: string, code: string, cursor: number): CellCompletion {
  const word = wordAt(code, cursor);
  const prefix = code.slice(word.start, cursor);
  const info = service.getCompletionsAtPosition(fileName, file.cellStart + cursor, PREFERENCES);
  if (!info) return answer([], word.start, word.end);

  const lower = prefix.toLowerCase();
  const picked = info.entries
    .filter((e) => e.name !== CELL_FUNCTION && e.kind !== ts.ScriptElementKind.warning)
    .filter((e) => e.name.toLowerCase().startsWith(lower))
    .map((e) => {
      // Entries may replace more than the word (`?.x` after a possibly-undefined value, `["a-b"]`).
      const span = e.replacementSpan
        ? { start: e.replacementSpan.start - file.cellStart, end: e.replacementSpan.start - file.cellStart + e.replacementSpan.length }
        : word;
      return {
        entry: e,
        start: Math.max(0, Math.min(span.start, cursor)),
        end: Math.max(span.end, cursor),
        text: e.insertText ?? e.name,
        exact: e.name.startsWith(prefix),
      };
    })
    .sort(
      (a, b) =>
        Number(b.exact) - Number(a.exact) || a.entry.sortText.localeCompare(b.entry.sortText) || a.entry.name.localeCompare(b.entry.name),
    );

  // Symbol-keyed members (`[Symbol.iterator]`) are no use typed by hand. Entries that rewrite code
  // before the word (`(await p).x`, `?.x`) are kept only when nothing else is offered, as after a
  // possibly-undefined value where every member comes as `?.x`.
  const usable = picked.filter((p) => !p.text.startsWith("["));
  const inWord = usable.filter((p) => p.start >= word.start);
  const kept = inWord.length > 0 ? inWord : usable;
  // Jupyter has one span for every match: widen it to cover them all, padding each text with the
  // code it now also replaces.
  const start = Math.min(word.start, ...kept.map((p) => p.start));
  const end = Math.max(word.end, ...kept.map((p) => p.end));
  const seen = new Set<string>();
  const matches: { text: string; type: string }[] = [];
  for (const p of kept) {
    const text = code.slice(start, p.start) + p.text + code.slice(p.end, end);
    if (seen.has(text)) continue;
    seen.add(text);
    matches.push({ text, type: jupyterType(p.entry.kind) });
  }
  return answer(matches, start, end);
}
