export type { TaskExecutor, TaskExecution, TaskSpec, TaskOutcome, StepPolicy, AttemptFailure } from "./types.js";
export { LocalExecutor, type LocalExecutorOptions } from "./local.js";
export { SandboxPool, type SandboxSource } from "./sandbox-pool.js";
export { runAttempts, type CaughtException } from "./attempts.js";
export { startingRecord, toTaskError, describeFailure, referenceArtifacts } from "./attempt.js";
export { taskSpecFromStore, readInputTasks, foreachListOf, type StoredTask, type StoredTaskOptions } from "./stored-task.js";
export { storeValues } from "./store-values.js";
export { TaskInputError } from "./errors.js";
