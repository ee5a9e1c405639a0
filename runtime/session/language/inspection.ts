/** Quick info for the symbol at the cursor (or the call the cursor is inside), as plain text. */
import ts from "typescript";
import { wordAt } from "./cell-text.js";
import type { CellInspection } from "./types.js";
import type { VirtualFile } from "./virtual-file.js";

function docs(documentation: ts.SymbolDisplayPart[] | undefined, tags: ts.JSDocTagInfo[] | undefined): string {
  const parts: string[] = [];
  const doc = ts.displayPartsToString(documentation);
  if (doc) parts.push(doc);
  for (const tag of tags ?? []) {
    const text = ts.displayPartsToString(tag.text);
    parts.push(`@${tag.name}${text ? ` ${text}` : ""}`);
  }
  return parts.join("\n");
}

function quickInfo(service: ts.LanguageService, fileName: string, pos: number): string | undefined {
  const info = service.getQuickInfoAtPosition(fileName, pos);
  if (!info) return undefined;
  const signature = ts.displayPartsToString(info.displayParts);
  return [signature, docs(info.documentation, info.tags)].filter((s) => s).join("\n\n");
}

/** Inside `f(a, |)`: the signature being called. */
function signatureHelp(service: ts.LanguageService, fileName: string, pos: number): string | undefined {
  const help = service.getSignatureHelpItems(fileName, pos, undefined);
  const item = help?.items[help.selectedItemIndex] ?? help?.items[0];
  if (!item) return undefined;
  const params = item.parameters.map((p) => ts.displayPartsToString(p.displayParts));
  const sep = ts.displayPartsToString(item.separatorDisplayParts);
  const signature = ts.displayPartsToString(item.prefixDisplayParts) + params.join(sep) + ts.displayPartsToString(item.suffixDisplayParts);
  return [signature, docs(item.documentation, item.tags)].filter((s) => s).join("\n\n");
}

/** Where the symbol is defined: its source when that is a setup or cell declaration. */
function definitionSource(service: ts.LanguageService, file: VirtualFile, fileName: string, pos: number): string | undefined {
  const def = service.getDefinitionAtPosition(fileName, pos)?.[0];
  if (!def) return undefined;
  const span = def.contextSpan ?? def.textSpan;
  if (def.fileName === fileName) {
    const inSetup = span.start >= file.setupStart && span.start < file.setupEnd;
    const inCell = span.start >= file.cellStart && span.start < file.cellEnd;
    if (!inSetup && !inCell) return undefined; // the prelude: its docs already say it all
    return `Source:\n${file.text.slice(span.start, span.start + span.length)}`;
  }
  return `Defined in ${def.fileName}`;
}

export function inspectAt(
  service: ts.LanguageService,
  file: VirtualFile,
  fileName: string,
  code: string,
  cursor: number,
  detailLevel: 0 | 1,
): CellInspection {
  const word = wordAt(code, cursor);
  // On or just after a word: that word; elsewhere, the call around the cursor.
  const at = word.end > word.start ? file.cellStart + Math.max(word.start, Math.min(cursor, word.end - 1)) : undefined;
  let text = at !== undefined ? quickInfo(service, fileName, at) : undefined;
  let defAt = at;
  if (text === undefined) {
    text = signatureHelp(service, fileName, file.cellStart + cursor);
    defAt = undefined;
  }
  if (text === undefined) return { found: false, text: "" };
  if (detailLevel === 1 && defAt !== undefined) {
    const source = definitionSource(service, file, fileName, defAt);
    if (source) text += `\n\n${source}`;
  }
  return { found: true, text };
}
