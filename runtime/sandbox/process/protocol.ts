/** Messages between the host and a `process` step's child (Node IPC, structured clone). */
import type { GuestOutcome, TaskRequest } from "../guest/index.js";

export interface RunMessage {
  type: "run";
  bundlePath: string;
  flowClassName: string;
  storeRoot: string;
  request: TaskRequest;
}

/** Sent while the step runs: a notebook cell's display() and the value of its last expression. */
export type ChildNotice =
  | { type: "display"; kind: string; data: unknown; options: { displayId?: string; update?: boolean } }
  | { type: "value"; value: unknown };

export type ChildMessage =
  | { type: "result"; outcome: GuestOutcome; artifacts: [string, { bytes: Uint8Array; type: string }][] }
  | {
      type: "error";
      name: string;
      message: string;
      stack?: string;
      code?: string;
      /** What the step set before it threw. */
      artifacts: [string, { bytes: Uint8Array; type: string }][];
    };
