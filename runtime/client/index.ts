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

/** Metaflow's namespace(): steplab has one namespace per datastore, so this is a no-op kept for familiarity. */
export function namespace(_name: string | null): void {}
