/**
 * Jupyter counts cursor positions in Unicode code points (protocol 5.2+); JavaScript strings and
 * the session count UTF-16 code units. They differ once a cell holds an astral character (emoji).
 */

/** The UTF-16 index of code point `cursor` in `text` (clamped to the text). */
export function codePointToUtf16(text: string, cursor: number): number {
  let index = 0;
  for (let cp = 0; cp < cursor && index < text.length; cp++) {
    const c = text.codePointAt(index)!;
    index += c > 0xffff ? 2 : 1;
  }
  return index;
}

/** The code point offset of UTF-16 index `index` in `text`. */
export function utf16ToCodePoint(text: string, index: number): number {
  let cp = 0;
  for (let i = 0; i < index && i < text.length; cp++) {
    const c = text.codePointAt(i)!;
    i += c > 0xffff ? 2 : 1;
  }
  return cp;
}
