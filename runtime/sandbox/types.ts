/**
 * One interface, two implementations (isolate, process): run one step of a bundled flow.
 */
import type { Encoded, StoreReader } from "../../store/index.js";
import type { GuestOutcome, TaskRequest } from "./guest/index.js";

export type { GuestOutcome, TaskRequest };

export interface TaskIO {
  /** Decoded blob values for the guest (already cached by the caller as it sees fit). */
  reader: StoreReader;
  /** A line (or chunk) the task printed. */
  output(stream: "stdout" | "stderr", text: string): void;
  /** The process running the task, once known (a `process` step's child). */
  started?(pid: number): void;
  /** Notebook cells only (isolate sandbox): the cell's value and helpers that reach the front end. */
  result?(value: unknown): void;
  display?(kind: string, data: unknown, options: { displayId?: string; update?: boolean }): void;
  runFlow?(file: string, params: Record<string, unknown>): Promise<string>;
  prompt?(text: string, password: boolean): Promise<string>;
}

/** An artifact the step set, encoded (store/codec): its bytes in parts, sha, size and type name. */
export type EncodedArtifact = Encoded;

export interface TaskLimits {
  memoryMb?: number;
  timeoutSeconds?: number;
  /**
   * Keep the context alive after the step returns while its timers are pending (up to this many
   * ms), so output printed by timers still reaches `output` — a notebook cell's behaviour.
   */
  lingerMs?: number;
}

export interface TaskResult {
  outcome: GuestOutcome;
  /** The artifacts the step set, encoded. */
  artifacts: Map<string, EncodedArtifact>;
  /** The pid that ran the task (the host's for isolates). */
  pid: number;
  /**
   * Frees the memory the artifacts were handed over in, once they are committed: a 1 GB array a
   * step set would otherwise stay until the next full garbage collection, while the next step reads
   * its copy. The artifacts' bytes are unusable afterwards.
   */
  release?(): void;
}

export interface Sandbox {
  readonly kind: "isolate" | "process";
  runTask(request: TaskRequest, io: TaskIO, limits?: TaskLimits): Promise<TaskResult>;
  /** Stop the running task; its runTask rejects with TaskInterruptedError. */
  interrupt(): void;
  dispose(): Promise<void>;
}
