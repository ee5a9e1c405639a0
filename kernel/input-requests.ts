/** A cell's prompt(): one input_request at a time on stdin, answered by the client's input_reply. */
export class InputRequests {
  #pending?: { resolve(v: string): void; reject(e: Error): void };

  /** Sends the request through `send`; resolves with the reply's value. */
  ask(send: () => void): Promise<string> {
    if (this.#pending) return Promise.reject(new Error("another input() is already waiting for the user"));
    return new Promise<string>((resolve, reject) => {
      this.#pending = { resolve, reject };
      send();
    });
  }

  /** An input_reply arrived; false when nothing was waiting for one. */
  answer(value: string): boolean {
    const p = this.#pending;
    this.#pending = undefined;
    p?.resolve(value);
    return p !== undefined;
  }

  /** An interrupt: the waiting prompt() fails. */
  cancel(): void {
    const p = this.#pending;
    this.#pending = undefined;
    p?.reject(new Error("Interrupted while waiting for input"));
  }
}
