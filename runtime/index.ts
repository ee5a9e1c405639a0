/**
 * `import ... from "steplab"` in a Node script: the flow-authoring names (for types and for code
 * shared with flows) and the client API over the datastore (STEPLAB_DATASTORE or the nearest
 * .steplab/). Inside a step the same names come from the sandbox's guest runtime.
 */
import { openStore, resolveStoreRoot } from "../store/index.js";
import { setDefaultReader, setDefaultUser, type Task } from "./client/index.js";
import { storeReader } from "../store/index.js";
import { currentUsername } from "./support/index.js";

export { FlowSpec, step, Parameter, IncludeFile, JSONType, current, display } from "./sandbox/guest/index.js";
export type {
  Inputs,
  ParameterOptions,
  IncludeFileOptions,
  MergeOptions,
  StepOptions,
  Current,
  DisplayOptions,
} from "./sandbox/guest/index.js";
export { registerArtifactClass } from "../store/index.js";
export {
  Flow,
  Run,
  Step,
  Task,
  Steplab,
  namespace,
  getNamespace,
  defaultNamespace,
  DataArtifact,
  ClientNotFoundError,
  NamespaceMismatchError,
} from "./client/index.js";
export { SteplabError } from "../errors/index.js";

let reader: ReturnType<typeof storeReader> | undefined;
setDefaultReader(() => (reader ??= storeReader(openStore(resolveStoreRoot()))));
// A script's default namespace is its user's: `user:NAME`, the tag of the runs they start.
setDefaultUser(() => currentUsername());

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
