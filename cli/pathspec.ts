/** `RUN/STEP[/TASK]` as the flow commands take it. */
import { UsageError } from "../errors/index.js";

export interface TaskPath {
  runId: string;
  step: string;
  taskId?: string;
}

export function parseTaskPath(raw: string | undefined, command: string): TaskPath {
  const parts = (raw ?? "").split("/").filter(Boolean);
  if (parts.length < 2 || parts.length > 3) {
    throw new UsageError(`${command} takes RUN/STEP or RUN/STEP/TASK (e.g. 1732900000000000/start/1), got '${raw ?? ""}'`);
  }
  return { runId: parts[0]!, step: parts[1]!, taskId: parts[2] };
}
