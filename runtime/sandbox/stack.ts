/**
 * Maps stack frames of a bundle back to the user's TypeScript file:line and drops the runtime's
 * own frames, so a failing task shows the user's stack, not steplab's internals.
 */
import { SourceMap } from "node:module";
import path from "node:path";

const FRAME = /^\s*at (?:(.*?) \()?(.*?):(\d+):(\d+)\)?$/;

/** The file name of the script that sets up an isolate's context (prelude, guest runtime, entry). */
export const CONTEXT_SCRIPT = "steplab:context";

function isRuntimeSource(source: string): boolean {
  return (
    source === CONTEXT_SCRIPT ||
    source.includes("/node_modules/") ||
    source.includes("/runtime/sandbox/") ||
    source.includes("/runtime/client/") ||
    source.startsWith("node:") ||
    // The context's setup script (prelude, entry): steplab's, named steplab:context.
    source.startsWith("steplab:") ||
    source.startsWith("<") ||
    source.includes("(native)")
  );
}

export class StackMapper {
  #map?: SourceMap;
  constructor(
    private readonly bundleFile: string,
    private readonly mapJson?: string,
  ) {}

  /** Parsed when a stack is first mapped: most tasks never fail, and parsing costs a run ~10 ms. */
  private get map(): SourceMap | undefined {
    if (!this.#map && this.mapJson) this.#map = new SourceMap(JSON.parse(this.mapJson));
    return this.#map;
  }

  /** `Name: message` followed by the user's frames as `    at fn (file.ts:12:5)`. */
  format(name: string, message: string, stack: string | undefined): string {
    const frames: string[] = [];
    for (const line of (stack ?? "").split("\n")) {
      const m = FRAME.exec(line);
      if (!m) continue;
      const [, fn, file, lineNo, col] = m;
      let source = file!;
      let outLine = Number(lineNo);
      let outCol = Number(col);
      if (this.map && file === this.bundleFile) {
        const entry = this.map.findEntry(outLine - 1, outCol - 1) as {
          originalSource?: string;
          originalLine?: number;
          originalColumn?: number;
        };
        // The shims standing in for Node built-ins are steplab's, not the user's.
        if (!entry?.originalSource || entry.originalSource.includes("node-builtin:")) continue;
        source = entry.originalSource.replace(/^file:\/\//, "");
        if (!path.isAbsolute(source)) source = path.resolve(path.dirname(this.bundleFile), source);
        outLine = (entry.originalLine ?? 0) + 1;
        outCol = (entry.originalColumn ?? 0) + 1;
      } else if (file === this.bundleFile) {
        continue;
      }
      source = source.replace(/^file:\/\//, "");
      if (isRuntimeSource(source)) continue;
      const where = `${path.relative(process.cwd(), source) || source}:${outLine}:${outCol}`;
      // Steps run with `this` bound to a Proxy: show the method, not "Proxy.start".
      const label = fn?.replace(/^(?:Proxy|Object)\./, "");
      frames.push(label ? `    at ${label} (${where})` : `    at ${where}`);
    }
    return [`${name}: ${message}`, ...frames].join("\n");
  }
}
