/** The names a flow file writes (FlowSpec, step, Parameter, ...), for host code that shares them. */
export { FlowSpec, step, Parameter, IncludeFile, JSONType } from "./flowspec.js";
export { current, type Current } from "./current.js";
export { display, type DisplayOptions } from "./notebook-helpers.js";
export type { TaskRequest, GuestOutcome, TaskInput, ArtifactShas } from "./request.js";
export type { Inputs, ParameterOptions, IncludeFileOptions, MergeOptions, StepOptions } from "./flowspec.js";
