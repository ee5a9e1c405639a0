export { runFlow, DEFAULT_MAX_WORKERS, DEFAULT_MAX_NUM_SPLITS, type RunFlowOptions, type RunOutcome } from "./run.js";
export {
  planResume,
  resolveResume,
  checkResumeStep,
  stepsFrom,
  type ResumePlan,
  type ResumeRequest,
  type ResolvedResume,
  type CloneSource,
} from "./resume.js";
export { RunConsole, processConsole, timestamp, LineSplitter, type ConsoleSink, type TaskLabel } from "./console.js";
export { executeTask, startingRecord, toTaskError, describeFailure, type TaskSpec, type TaskEnv, type TaskOutcome } from "./task.js";
export { SandboxPool } from "./sandbox-pool.js";
export { RuntimeGraphError, TaskInputError } from "./errors.js";
export { taskSpecFromStore, readInputTasks, foreachListOf, type StoredTask, type StoredTaskOptions } from "./stored-task.js";
export { transitionChecker, foreachSplit } from "./transitions.js";
export { storeParameters } from "./parameters.js";
