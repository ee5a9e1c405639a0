/**
 * When a child's V8 heap reaches --max-old-space-size, V8 prints its last GCs, "FATAL ERROR: …
 * JavaScript heap out of memory" and a native stack of C++ frames to stderr, then aborts. That
 * says nothing to the user, whose task fails with a TaskMemoryError instead: this filter passes a
 * child's stderr through until the trace starts, drops the trace, and remembers that it came.
 */
const TRACE_STARTS = ["<--- Last few GCs --->", "<--- JS stacktrace --->"];
const FATAL = "FATAL ERROR:";

function startsTrace(line: string): boolean {
  return TRACE_STARTS.includes(line.trim()) || (line.startsWith(FATAL) && /out of memory/i.test(line));
}

/** Whether `partial` (a line not yet ended) may still turn out to start the trace. */
function mayStartTrace(partial: string): boolean {
  return [...TRACE_STARTS, FATAL].some((marker) => marker.startsWith(partial) || partial.startsWith(marker));
}

export class OomTraceFilter {
  #sawTrace = false;
  #partial = "";
  /** Blank lines are held: V8 prints one before the trace. */
  #blank = "";

  constructor(private readonly forward: (text: string) => void) {}

  /** V8 ran out of heap (its trace began). */
  get sawTrace(): boolean {
    return this.#sawTrace;
  }

  push(chunk: string): void {
    if (this.#sawTrace) return;
    const lines = (this.#partial + chunk).split("\n");
    this.#partial = lines.pop() ?? "";
    let out = "";
    for (const line of lines) {
      if (startsTrace(line)) {
        this.#sawTrace = true;
        this.#partial = "";
        this.#blank = "";
        if (out) this.forward(out);
        return;
      }
      if (line.trim() === "") {
        this.#blank += `${line}\n`;
        continue;
      }
      out += `${this.#blank}${line}\n`;
      this.#blank = "";
    }
    // A partial line that cannot begin the trace goes out now, so live output is not held back.
    if (this.#partial !== "" && !mayStartTrace(this.#partial)) {
      out += this.#blank + this.#partial;
      this.#blank = "";
      this.#partial = "";
    }
    if (out) this.forward(out);
  }

  /** The stream ended: what was held back was not a trace after all. */
  end(): void {
    if (this.#sawTrace) return;
    const rest = this.#blank + this.#partial;
    this.#blank = "";
    this.#partial = "";
    if (rest) this.forward(rest);
  }
}
