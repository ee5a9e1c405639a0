/**
 * Sandboxes for the steps of one flow file: isolates are reused between tasks (a fresh context each
 * time), one per concurrently running task; `process` steps each get a child process.
 */
import { bundleFlow, type FlowBundle } from "../bundle/index.js";
import { IsolateSandbox, ProcessSandbox, type Sandbox } from "../sandbox/index.js";
import type { StepPolicy } from "./types.js";

/** Where a local executor gets the sandbox each attempt runs in. */
export interface SandboxSource {
  /** Builds what the steps need up front, so that an error (a missing package) fails before any task. */
  prepare(steps: readonly StepPolicy[]): Promise<void>;
  acquire(step: StepPolicy): Promise<Sandbox>;
  release(sandbox: Sandbox): void;
  interruptAll(): void;
  dispose(): Promise<void>;
}

export class SandboxPool implements SandboxSource {
  private isolateBundle?: Promise<FlowBundle>;
  private processSandbox?: Promise<ProcessSandbox>;
  private readonly idle: IsolateSandbox[] = [];
  private readonly all = new Set<Sandbox>();

  constructor(
    private readonly file: string,
    private readonly flowClassName: string,
    private readonly storeRoot: string,
  ) {}

  async prepare(steps: readonly StepPolicy[]): Promise<void> {
    const kinds = new Set(steps.map((s) => s.options.isolation ?? "isolate"));
    await Promise.all([kinds.has("isolate") ? this.bundle() : undefined, kinds.has("process") ? this.process() : undefined]);
  }

  private bundle(): Promise<FlowBundle> {
    this.isolateBundle ??= bundleFlow(this.file, "isolate");
    return this.isolateBundle;
  }

  private process(): Promise<ProcessSandbox> {
    this.processSandbox ??= bundleFlow(this.file, "process").then((b) => {
      const sandbox = new ProcessSandbox(b, this.flowClassName, this.storeRoot);
      this.all.add(sandbox);
      return sandbox;
    });
    return this.processSandbox;
  }

  async acquire(step: StepPolicy): Promise<Sandbox> {
    if (step.options.isolation === "process") return this.process();
    const reused = this.idle.pop();
    if (reused) return reused;
    const sandbox = new IsolateSandbox(await this.bundle(), this.flowClassName);
    this.all.add(sandbox);
    return sandbox;
  }

  release(sandbox: Sandbox): void {
    if (sandbox instanceof IsolateSandbox) this.idle.push(sandbox);
  }

  interruptAll(): void {
    for (const s of this.all) s.interrupt();
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.all].map((s) => s.dispose()));
  }
}
