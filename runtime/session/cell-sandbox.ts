/**
 * The sandboxes a notebook session's cells run in: one isolate for the whole session, each cell in
 * a fresh context of it, its bundle swapped in before the cell's tasks run; a cell written
 * `//% step NAME isolation=process` runs each task in a child process of its own bundle. A
 * SandboxSource, so cells run through the same local executor as flow steps.
 */
import type { FlowBundle } from "../bundle/index.js";
import type { SandboxSource, StepPolicy } from "../executor/index.js";
import { IsolateSandbox, ProcessSandbox, type Sandbox } from "../sandbox/index.js";
import { CELL_FLOW_CLASS } from "./cell-module.js";

export class CellSandbox implements SandboxSource {
  #isolate?: IsolateSandbox;
  #process?: ProcessSandbox;

  constructor(private readonly storeRoot: string) {}

  /** The cell about to run in the isolate: its bundle goes into the session's isolate. */
  loadBundle(bundle: FlowBundle): IsolateSandbox {
    if (this.#isolate) this.#isolate.setBundle(bundle);
    else this.#isolate = new IsolateSandbox(bundle, CELL_FLOW_CLASS);
    return this.#isolate;
  }

  /** The cell about to run in child processes, from its process bundle. */
  loadProcessBundle(bundle: FlowBundle): void {
    void this.#process?.dispose();
    this.#process = new ProcessSandbox(bundle, CELL_FLOW_CLASS, this.storeRoot);
  }

  async prepare(): Promise<void> {}

  async acquire(step: StepPolicy): Promise<Sandbox> {
    const sandbox = step.options.isolation === "process" ? this.#process : this.#isolate;
    if (!sandbox) throw new Error("steplab: no cell has been compiled for this session yet");
    return sandbox;
  }

  release(): void {}

  interruptAll(): void {
    this.#isolate?.interrupt();
    this.#process?.interrupt();
  }

  async dispose(): Promise<void> {
    await Promise.all([this.#isolate?.dispose(), this.#process?.dispose()]);
  }
}
