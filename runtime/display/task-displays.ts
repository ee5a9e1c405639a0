/**
 * What one task displayed, kept with the task so that its card shows it: the bundles in order, an
 * update replacing the display it names. In a flow run (no front end to show them) each display
 * also leaves a readable line in the task's log.
 */
import { isChartBundle } from "./chart-bundle.js";
import type { DisplayOptions, MimeBundle, ShownDisplay } from "./types.js";

export class TaskDisplays {
  readonly #shown: ShownDisplay[] = [];

  /** Records a display; returns false for an update of a display this task never made. */
  add(data: MimeBundle, options: DisplayOptions = {}): boolean {
    const shown: ShownDisplay = {
      data,
      ...(options.metadata ? { metadata: options.metadata } : {}),
      ...(options.displayId !== undefined ? { displayId: options.displayId } : {}),
    };
    if (options.update && options.displayId !== undefined) {
      const at = this.#shown.findIndex((d) => d.displayId === options.displayId);
      if (at < 0) return false;
      this.#shown[at] = shown;
      return true;
    }
    this.#shown.push(shown);
    return true;
  }

  get list(): readonly ShownDisplay[] {
    return this.#shown;
  }

  get size(): number {
    return this.#shown.length;
  }
}

function kilobytes(text: string): string {
  const bytes = Buffer.byteLength(text);
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} kB`;
}

const PLACEHOLDER = /^<[A-Za-z][\w ./+-]*>$/;

/** The line a display leaves in a task's log: its text, or what it is when it has no text. */
export function displayLine(bundle: MimeBundle): string {
  const plain = bundle["text/plain"];
  if (isChartBundle(bundle)) return `[chart] ${plain} (see the task's card)\n`;
  if (!PLACEHOLDER.test(plain)) return plain.endsWith("\n") ? plain : `${plain}\n`;
  const mime = Object.keys(bundle).find((k) => k !== "text/plain") ?? "text/plain";
  const body = bundle[mime];
  const size = typeof body === "string" ? `, ${kilobytes(body)}` : "";
  return `[${plain.slice(1, -1)}${size}] (see the task's card)\n`;
}
