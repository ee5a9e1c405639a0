export { runFlow, DEFAULT_MAX_WORKERS, DEFAULT_MAX_NUM_SPLITS, type RunFlowOptions, type RunOutcome, type TaskCacheMode } from "./run.js";
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
export { RunConsole, consoleStyle, timestamp, LineSplitter, type ConsoleSink, type ConsoleStyle, type TaskLabel } from "./console.js";
export { consoleTask, stepPolicy, type ConsoleTask } from "./task-console.js";
export { RuntimeGraphError } from "./errors.js";
export { transitionChecker, foreachSplit } from "./transitions.js";
export { spinStep, type SpinRequest, type SpinOutcome } from "./spin.js";
export { SPIN_TAG } from "./spin-tag.js";
