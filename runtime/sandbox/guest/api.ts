/**
 * What `import ... from "steplab"` resolves to inside a sandbox bundle: the flow-authoring names,
 * the client API, and (as a side effect) the entry the sandbox calls to run a step.
 */
import { runStep } from "./runner.js";

export * from "./index.js";
// store/portable, not store/index: the guest is bundled into isolates, without LMDB.
export { registerArtifactClass } from "../../../store/portable.js";
/** Called by the bundle at the end of each of the flow's own modules (runtime/bundle/own-classes.ts). */
export { registerOwnClasses as __steplabOwnClasses } from "../../../store/portable.js";
export { runFlow, prompt } from "./notebook-helpers.js";
/** `import * as tslab from "tslab"` resolves here (runtime/bundle). */
export * as tslab from "./tslab.js";
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
  NamespaceMismatchError,
} from "../../client/index.js";

declare global {
  // eslint-disable-next-line no-var
  var __steplabGuest: { runStep: typeof runStep } | undefined;
}
globalThis.__steplabGuest = { runStep };
