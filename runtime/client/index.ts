/** The client API over past runs (SPEC §3): synchronous, lazy, the same in scripts, steps and cells. */
import { callable } from "./callable.js";
import * as objects from "./objects.js";

export type { StoreReader } from "./reader.js";
export { setDefaultReader, currentReader } from "./reader.js";
export { ClientNotFoundError } from "./errors.js";
export { DataArtifact } from "./objects.js";

export const Flow = callable(objects.Flow);
export const Run = callable(objects.Run);
export const Step = callable(objects.Step);
export const Task = callable(objects.Task);
export const Steplab = callable(objects.SteplabClient);
export type Flow = objects.Flow;
export type Run = objects.Run;
export type Step = objects.Step;
export type Task = objects.Task;
export type Steplab = objects.SteplabClient;
export {
  namespace,
  getNamespace,
  defaultNamespace,
  setDefaultUser,
  NamespaceError,
  NamespaceMismatchError,
} from "./namespace.js";
export type { CallableList } from "./run-list.js";
