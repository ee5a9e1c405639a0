export type { EncodedArtifact, Sandbox, TaskIO, TaskLimits, TaskResult, TaskRequest, GuestOutcome } from "./types.js";
export type { TaskInput, ArtifactShas } from "./guest/index.js";
export { IsolateSandbox, DEFAULT_MEMORY_MB } from "./isolate/sandbox.js";
export { ProcessSandbox } from "./process/sandbox.js";
export {
  TaskInterruptedError,
  TaskTimeoutError,
  TaskMemoryError,
  TaskCrashedError,
  TaskStalledError,
  UserCodeError,
  partialArtifacts,
  withPartialArtifacts,
} from "./errors.js";
export { registerArtifactClass, toEnvelopes, fromEnvelopes } from "../../store/index.js";
