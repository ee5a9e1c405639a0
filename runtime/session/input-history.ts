/** The input history a session keeps in the store (Jupyter's history_request, the REPL's Up key). */
import type { HistoryEntry, Store } from "../../store/index.js";

export class InputHistory {
  #line = 0;

  constructor(
    private readonly store: Store,
    private readonly session: string,
  ) {}

  /** Lines are the front end's execution counts when it has them (Jupyter's In [N]). */
  add(source: string, executionCount?: number): void {
    this.#line = executionCount ?? this.#line + 1;
    // Written beside the cell, not before it: LMDB keeps the order, and the cell need not wait.
    this.store
      .addHistory({ session: this.session, line: this.#line, source, at: Date.now() })
      .catch((err: unknown) => process.stderr.write(`steplab: could not save input history: ${(err as Error).message}\n`));
  }

  list(limit?: number): HistoryEntry[] {
    return this.store.listHistory(limit);
  }
}
