/**
 * The sandbox a notebook session's cells run in: one isolate for the whole session, each cell in a
 * fresh context of it, its bundle swapped in before the cell's tasks run. A SandboxSource, so
 * cells run through the same local executor as flow steps.
 */
import type { SandboxSource } from "../executor/index.js";
import type { FlowBundle } from "../bundle/index.js";
import { IsolateSandbox, type Sandbox } from "../sandbox/index.js";
import { CELL_FLOW_CLASS } from "./cell-module.js";

export class CellSandbox implements SandboxSource {
  #isolate?: IsolateSandbox;

  /** The cell about to run: its bundle goes into the session's isolate. */
  use(bundle: FlowBundle): IsolateSandbox {
    if (this.#isolate) this.#isolate.setBundle(bundle);
    else this.#isolate = new IsolateSandbox(bundle, CELL_FLOW_CLASS);
    return this.#isolate;
  }

  async prepare(): Promise<void> {}

  async acquire(): Promise<Sandbox> {
    if (!this.#isolate) throw new Error("steplab: no cell has been compiled for this session yet");
    return this.#isolate;
  }

  release(): void {}

  interruptAll(): void {
    this.#isolate?.interrupt();
  }

  async dispose(): Promise<void> {
    await this.#isolate?.dispose();
  }
}
