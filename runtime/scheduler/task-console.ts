/**
 * How one task shows on a run's console, whoever drives it (the scheduler, or Argo's `step` pod):
 * its output under the task's prefix, line by line, and Metaflow's system lines for each attempt.
 */
import { describeFailure, type AttemptFailure, type StepPolicy, type TaskExecution } from "../executor/index.js";
import type { StepNode } from "../graph/index.js";
import { LineSplitter, type RunConsole, type TaskLabel } from "./console.js";
import { transitionChecker } from "./transitions.js";

/** What the executor needs to know of a flow step. */
export function stepPolicy(node: StepNode): StepPolicy {
  return {
    name: node.name,
    options: node.options,
    next:
      node.type === "end" || node.next.length === 0 ? undefined : { steps: node.next, ...(node.foreach ? { foreach: node.foreach } : {}) },
  };
}

export interface ConsoleTask extends TaskExecution {
  /** Prints what is left of a partial line. */
  flush(): void;
}

export function consoleTask(out: RunConsole, label: TaskLabel, node: StepNode): ConsoleTask {
  const splitters = {
    stdout: new LineSplitter((line) => out.taskOutput(label, "stdout", line)),
    stderr: new LineSplitter((line) => out.taskOutput(label, "stderr", line)),
  };
  const flush = () => {
    splitters.stdout.flush();
    splitters.stderr.flush();
  };
  return {
    flush,
    onOutput: (stream, text) => splitters[stream].push(text),
    onStarted: (pid) => {
      label.pid = pid;
    },
    onAttempt: (attempt, attempts) => {
      out.taskSystem(label, attempt === 0 ? "Task is starting." : `Task is starting (attempt ${attempt + 1} of ${attempts}).`);
    },
    onAttemptFailed: (failure: AttemptFailure) => {
      flush();
      for (const line of describeFailure(failure.error).split("\n")) out.taskOutput(label, "stderr", line);
      out.taskSystem(label, "Task failed.");
      if (failure.then === "retry") out.taskSystem(label, `Retrying (attempt ${failure.attempt + 2} of ${failure.attempts}).`);
      if (failure.then === "catch") {
        out.taskSystem(label, `The exception is kept in artifact '${failure.caughtAs}' (catch): the run goes on.`);
      }
    },
    onReused: (from) => out.taskSystem(label, `Reused results of task ${from}`),
    checkTransition: transitionChecker(node),
  };
}
