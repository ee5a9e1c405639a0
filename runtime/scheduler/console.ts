/**
 * Console lines in Metaflow's shape:
 *   2026-11-29 16:20:50.708 [1795969250684198/start/1 (pid 10273)] Task is starting.
 * On a TTY the timestamp is magenta, the task prefix green and system messages bold.
 */

export interface TaskLabel {
  runId: string;
  step: string;
  taskId: string;
  pid: number;
}

/** The styles console lines use: chalk's on a terminal (consoleStyle), none elsewhere. */
export interface ConsoleStyle {
  magenta(text: string): string;
  green(text: string): string;
  bold(text: string): string;
  red(text: string): string;
}

const same = (text: string) => text;
const PLAIN: ConsoleStyle = { magenta: same, green: same, bold: same, red: same };

/** chalk, loaded only for a coloured console: a run printing to a pipe or a file never loads it. */
export async function consoleStyle(colour: boolean): Promise<ConsoleStyle> {
  if (!colour) return PLAIN;
  const { Chalk } = await import("chalk");
  return new Chalk({ level: 1 });
}

export interface ConsoleSink {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Plain text when left out. */
  style?: ConsoleStyle;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

export function timestamp(at = new Date()): string {
  return (
    `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ` +
    `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}.${pad(at.getMilliseconds(), 3)}`
  );
}

export class RunConsole {
  private readonly style: ConsoleStyle;
  constructor(readonly sink: ConsoleSink) {
    this.style = sink.style ?? PLAIN;
  }

  /** A line about the run as a whole (`Workflow starting (run-id N):`, `Done!`). */
  system(text: string): void {
    this.sink.stdout(`${this.style.magenta(timestamp())} ${this.style.bold(text)}\n`);
  }

  /** A system line about one task (`Task is starting.`). */
  taskSystem(task: TaskLabel, text: string): void {
    this.sink.stdout(`${this.prefix(task)} ${this.style.bold(text)}\n`);
  }

  /** A line the task's own code printed; leading indentation is stripped as Metaflow does. */
  taskOutput(task: TaskLabel, stream: "stdout" | "stderr", line: string): void {
    const text = line.replace(/^\s+/, "");
    const out = `${this.prefix(task)} ${stream === "stderr" ? this.style.red(text) : text}\n`;
    this.sink.stdout(out);
  }

  /** Header, validation and errors about the command: stderr. */
  note(text: string): void {
    this.sink.stderr(`${text}\n`);
  }

  private prefix(task: TaskLabel): string {
    return `${this.style.magenta(timestamp())} ${this.style.green(`[${task.runId}/${task.step}/${task.taskId} (pid ${task.pid})]`)}`;
  }
}

/** Splits a stream of output chunks into whole lines. */
export class LineSplitter {
  private partial = "";
  constructor(private readonly onLine: (line: string) => void) {}
  push(chunk: string): void {
    const lines = (this.partial + chunk).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) this.onLine(line);
  }
  flush(): void {
    if (this.partial) this.onLine(this.partial);
    this.partial = "";
  }
}
