/**
 * A task's captured output, bounded: a step printing without end would otherwise grow one string
 * in steplab's memory until the process fails (V8 strings stop at 512 Mi characters). Each stream
 * keeps its first LOG_KEEP characters; the console still shows everything as it comes, and the log
 * says how much it did not keep.
 */
export const LOG_KEEP = 64 * 2 ** 20;

export class TaskLog {
  readonly #kept = { stdout: "", stderr: "" };
  readonly #dropped = { stdout: 0, stderr: 0 };

  add(stream: "stdout" | "stderr", text: string): void {
    const room = LOG_KEEP - this.#kept[stream].length;
    if (text.length <= room) this.#kept[stream] += text;
    else {
      this.#kept[stream] += text.slice(0, Math.max(0, room));
      this.#dropped[stream] += text.length - Math.max(0, room);
    }
  }

  /** Text that must be kept whatever the bound (the task's error at the end of stderr). */
  append(stream: "stdout" | "stderr", text: string): void {
    const kept = this.#kept[stream];
    this.#kept[stream] = `${kept}${kept === "" || kept.endsWith("\n") ? "" : "\n"}${text}`;
  }

  /** What the store keeps. */
  logs(): { stdout: string; stderr: string } {
    const note = (stream: "stdout" | "stderr") =>
      this.#dropped[stream] > 0
        ? `\n[steplab: ${this.#dropped[stream]} more characters of ${stream} were printed but not kept: a task keeps the first ${LOG_KEEP} of each stream]\n`
        : "";
    return { stdout: this.#kept.stdout + note("stdout"), stderr: this.#kept.stderr + note("stderr") };
  }
}
