/**
 * `import ... from "steplab"` in a Node script: the flow-authoring names (for types and for code
 * shared with flows) and the client API over the datastore (STEPLAB_DATASTORE or the nearest
 * .steplab/). Inside a step the same names come from the sandbox's guest runtime.
 */
import { openStore, resolveStoreRoot } from "../store/index.js";
import { setDefaultReader, type Task } from "./client/index.js";
import { storeReader } from "../store/index.js";

export { FlowSpec, step, Parameter, IncludeFile, JSONType, display } from "./sandbox/guest/index.js";
export type { Inputs, ParameterOptions, IncludeFileOptions, MergeOptions, StepOptions, DisplayOptions } from "./sandbox/guest/index.js";
export { registerArtifactClass } from "../store/index.js";
export { Flow, Run, Step, Task, Steplab, namespace, DataArtifact, ClientNotFoundError } from "./client/index.js";
export { SteplabError } from "../errors/index.js";

let reader: ReturnType<typeof storeReader> | undefined;
setDefaultReader(() => (reader ??= storeReader(openStore(resolveStoreRoot()))));

export type { SpinOptions } from "./spin.js";
export { SpinError, SpinTaskError } from "./spin-errors.js";

/**
 * Runs one step of a flow file on a past task's inputs and returns the task (see ./spin.ts). Loaded
 * on first use: a script that only reads past runs never loads the sandboxes.
 */
export async function spin(flowFile: string, step: string, options?: import("./spin.js").SpinOptions): Promise<Task> {
  const { spin: run } = await import("./spin.js");
  return run(flowFile, step, options);
}
