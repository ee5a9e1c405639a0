/**
 * Shell requests run one at a time in arrival order. After an error with stop_on_error, the
 * execute_requests already queued are answered "aborted": frames already delivered to the socket
 * are read during the next turns of the event loop, so the window stays open for two of them.
 */
import type { JupyterMessage } from "./wire.js";

export interface Queued {
  msg: JupyterMessage;
  aborted: boolean;
}

export class ShellQueue {
  readonly #items: Queued[] = [];
  #pumping = false;
  #aborting = false;
  #closed = false;

  constructor(private readonly serve: (item: Queued) => Promise<void>) {}

  /** True while a request is being served. */
  get busy(): boolean {
    return this.#pumping;
  }

  push(msg: JupyterMessage): void {
    this.#items.push({ msg, aborted: this.#aborting });
    void this.pump();
  }

  async abortQueued(): Promise<void> {
    this.#aborting = true;
    for (const q of this.#items) q.aborted = true;
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    for (const q of this.#items) q.aborted = true;
    this.#aborting = false;
  }

  close(): void {
    this.#closed = true;
    this.#items.length = 0;
  }

  private async pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (let item = this.#items.shift(); item && !this.#closed; item = this.#items.shift()) await this.serve(item);
    } finally {
      this.#pumping = false;
    }
  }
}
