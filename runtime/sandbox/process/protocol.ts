/** Messages between the host and a `process` step's child (Node IPC, structured clone). */
import type { Encoded } from "../../../store/index.js";
import type { DisplayOptions, MimeBundle } from "../../display/index.js";
import type { GuestOutcome, TaskRequest } from "../guest/index.js";

export interface RunMessage {
  type: "run";
  bundlePath: string;
  flowClassName: string;
  storeRoot: string;
  request: TaskRequest;
}

/**
 * Sent while the step runs, any number before the reply: what the step displays (already a MIME
 * bundle, made in the child so a display the step got wrong throws in the step's own code; shown
 * as display kind "bundle") and, for a notebook cell, the value of its last expression.
 */
export type ChildNotice = { type: "display"; bundle: MimeBundle; options: DisplayOptions } | { type: "value"; value: unknown };

/** The child's one reply: how the step ended. */
export type ChildMessage =
  | { type: "result"; outcome: GuestOutcome; artifacts: [string, Encoded][] }
  | {
      type: "error";
      name: string;
      message: string;
      stack?: string;
      code?: string;
      /** What the step set before it threw. */
      artifacts: [string, Encoded][];
    }
  /** The child's event loop emptied while the step's promise was pending: it can never settle. */
  | { type: "stalled" };
