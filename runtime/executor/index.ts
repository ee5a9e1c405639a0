export type { TaskExecutor, TaskExecution } from "./types.js";
