/**
 * A queued task's output on its way to the run that sent it: a worker batches what the task prints
 * and publishes it as the job's progress (BullMQ's `updateProgress`, which the sending side's
 * QueueEvents receives), at most every FLUSH_MS and once more when the task ends. Best effort:
 * the task's logs in the datastore stay the record; the run prints from them whatever did not
 * arrive live.
 */
import type { OutputProgress } from "./queue.js";

const FLUSH_MS = 100;

type Stream = "stdout" | "stderr";

export class LiveOutput {
  #pending: [Stream, string][] = [];
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly attempt: number,
    private readonly publish: (progress: OutputProgress) => Promise<unknown>,
  ) {}

  add(stream: Stream, text: string): void {
    const last = this.#pending.at(-1);
    if (last && last[0] === stream) last[1] += text;
    else this.#pending.push([stream, text]);
    this.#timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Sends what is pending; resolves once everything added so far has been sent (or failed to). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const output = this.#pending;
    this.#pending = [];
    if (output.length > 0) {
      this.#sending = this.#sending.then(() =>
        this.publish({ attempt: this.attempt, output }).then(
          () => undefined,
          () => undefined,
        ),
      );
    }
    return this.#sending;
  }
}
