/**
 * The kernel's notebook session, created lazily. Creating it loads the compiler and the store,
 * which blocks the event loop for a while: it starts after the client's first kernel_info is
 * answered (or shortly after start), so "kernel ready" is not held up by it, and the first request
 * that needs it awaits it.
 */
import type { NotebookSession } from "../runtime/session/index.js";

const PREWARM_AFTER_MS = 1000;

export class SessionSlot {
  #promise?: Promise<NotebookSession>;
  #ready?: NotebookSession;
  #closed = false;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly create: () => Promise<NotebookSession>,
    private readonly log: (line: string) => void,
  ) {
    this.#timer = setTimeout(() => this.prewarm(), PREWARM_AFTER_MS);
  }

  /** The session once it exists (undefined while it is still being created). */
  get ready(): NotebookSession | undefined {
    return this.#ready;
  }

  get(): Promise<NotebookSession> {
    if (!this.#promise) {
      this.#promise = this.create();
      this.#promise.then(
        (s) => (this.#ready = s),
        (e: unknown) => this.log(`steplab kernel: the notebook session failed to start: ${(e as Error).stack ?? e}`),
      );
    }
    return this.#promise;
  }

  /** Starts creating the session now, unless the kernel is closing. */
  prewarm(): void {
    if (!this.#promise && !this.#closed) void this.get().catch(() => undefined);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }
}
