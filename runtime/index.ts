/**
 * `import ... from "steplab"` in a Node script: the flow-authoring names (for types and for code
 * shared with flows) and the client API over the datastore (STEPLAB_DATASTORE or the nearest
 * .steplab/). Inside a step the same names come from the sandbox's guest runtime.
 */
import { openStore, resolveStoreRoot } from "../store/index.js";
import { setDefaultReader } from "./client/index.js";
import { storeReader } from "../store/index.js";

export { FlowSpec, step, Parameter, IncludeFile, JSONType } from "./sandbox/guest/index.js";
export type { Inputs, ParameterOptions, IncludeFileOptions, MergeOptions, StepOptions } from "./sandbox/guest/index.js";
export { registerArtifactClass } from "../store/index.js";
export { Flow, Run, Step, Task, Steplab, namespace, DataArtifact, ClientNotFoundError } from "./client/index.js";
export { SteplabError } from "../errors/index.js";

let reader: ReturnType<typeof storeReader> | undefined;
setDefaultReader(() => (reader ??= storeReader(openStore(resolveStoreRoot()))));
