/**
 * A real terminal for end-to-end REPL tests: a tmux server of the test's own (its socket), one
 * window; keys go in with send-keys, the screen comes back with capture-pane.
 */
import { execFileSync, spawnSync } from "node:child_process";

export const hasTmux = spawnSync("tmux", ["-V"]).status === 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface TmuxOptions {
  /** capture-pane -J: lines the terminal wrapped come back joined (a long path stays whole). */
  joinWrapped?: boolean;
}

export class TmuxTerminal {
  readonly #socket: string;
  readonly #name = "repl";
  readonly #joinWrapped: boolean;

  /** `label` names the tmux socket, with the test process's pid, so parallel test files never share a server. */
  constructor(label: string, options: TmuxOptions = {}) {
    this.#socket = `steplab-${label}-${process.pid}`;
    this.#joinWrapped = options.joinWrapped ?? false;
  }

  #tmux(...args: string[]): string {
    return execFileSync("tmux", ["-L", this.#socket, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  }

  /** Runs the shell command `cmd` in a detached window of `columns` x `rows`. */
  start(cmd: string, columns: number, rows: number): void {
    this.#tmux("new-session", "-d", "-s", this.#name, "-x", String(columns), "-y", String(rows), cmd);
  }

  screen(): string {
    return this.#tmux("capture-pane", "-p", ...(this.#joinWrapped ? ["-J"] : []), "-t", this.#name);
  }

  /** The screen once it shows `what` (polled every 100 ms); throws with the screen after `timeoutMs`. */
  async waitFor(what: string | RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let s = "";
      try {
        s = this.screen();
      } catch {
        s = "(tmux session gone)";
      }
      if (typeof what === "string" ? s.includes(what) : what.test(s)) return s;
      if (Date.now() > deadline) throw new Error(`the terminal never showed ${String(what)}; it shows:\n${s}`);
      await sleep(100);
    }
  }

  /** waitFor(re), then re's match on that screen (its groups). */
  async match(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray> {
    return re.exec(await this.waitFor(re, timeoutMs))!;
  }

  /** Sends keys as tmux names them ("Enter", "C-c", "o"). */
  key(...keys: string[]): void {
    this.#tmux("send-keys", "-t", this.#name, ...keys);
  }

  /** Types `text` literally, as keystrokes. */
  type(text: string): void {
    this.#tmux("send-keys", "-t", this.#name, "-l", text);
  }

  /**
   * Types the lines as keystrokes (Ctrl-J between them), then Enter as its own key after `pauseMs`
   * (a person pauses before Enter).
   */
  async enter(lines: string[], pauseMs = 150): Promise<void> {
    lines.forEach((line, i) => {
      if (i > 0) this.key("C-j");
      this.type(line);
    });
    await sleep(pauseMs);
    this.key("Enter");
  }

  /** Ends the tmux server and everything in it. */
  kill(): void {
    try {
      this.#tmux("kill-server");
    } catch {
      // already gone
    }
  }
}
