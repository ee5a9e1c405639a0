/**
 * What `import * as tslab from "tslab"` gives a cell or a flow: tslab's display API, backed by
 * steplab's display, so notebooks written for tslab run unchanged. (The tslab package itself is
 * not needed: bundles resolve "tslab" to this module.)
 */
import { display as steplab } from "./notebook-helpers.js";

export interface Display {
  javascript(s: string): void;
  html(s: string): void;
  markdown(s: string): void;
  latex(s: string): void;
  svg(s: string): void;
  png(b: Uint8Array): void;
  jpeg(b: Uint8Array): void;
  gif(b: Uint8Array): void;
  pdf(b: Uint8Array): void;
  text(s: string): void;
  raw(contentType: string, b: string | Uint8Array): void;
}

let displays = 0;

function makeDisplay(displayId?: string): Display {
  let shown = false;
  // tslab's newDisplay(): the first call shows, later calls replace what it showed.
  const options = () => {
    if (displayId === undefined) return undefined;
    const update = shown;
    shown = true;
    return { displayId, update };
  };
  return {
    javascript: (s) => steplab.raw("application/javascript", s, options()),
    html: (s) => steplab.html(s, options()),
    markdown: (s) => steplab.markdown(s, options()),
    latex: (s) => steplab.latex(s, options()),
    svg: (s) => steplab.svg(s, options()),
    png: (b) => steplab.png(b, options()),
    jpeg: (b) => steplab.jpeg(b, options()),
    gif: (b) => steplab.gif(b, options()),
    pdf: (b) => steplab.raw("application/pdf", b, options()),
    text: (s) => steplab.text(s, options()),
    raw: (contentType, b) => steplab.raw(contentType, b, options()),
  };
}

/** Returns a new Display whose calls show, then overwrite, one display entry. */
export function newDisplay(): Display {
  return makeDisplay(`tslab-${Date.now().toString(36)}-${++displays}`);
}

/** Utility functions to display rich contents (tslab's names). */
export const display: Display = makeDisplay();
