/** Messages between the host and a `process` step's child (Node IPC, structured clone). */
import type { DisplayOptions, MimeBundle } from "../../display/index.js";
import type { GuestOutcome, TaskRequest } from "../guest/index.js";

export interface RunMessage {
  type: "run";
  bundlePath: string;
  flowClassName: string;
  storeRoot: string;
  request: TaskRequest;
}

/** display() in the step, already a MIME bundle (shown as display kind "bundle"); any number before the reply. */
export interface DisplayMessage {
  type: "display";
  bundle: MimeBundle;
  options: DisplayOptions;
}

/** The child's one reply: how the step ended. */
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
