/**
 * A task's attempts, the same wherever they run: `@step({ retries: N })` makes up to N more after
 * a failure; then `@step({ catch: "NAME" })` keeps the exception as the artifact NAME, the task
 * counts as succeeded and the run follows the step's static transition (Metaflow's @retry and
 * @catch). An interrupted task is neither retried nor caught: the person or signal that stopped it
 * meant it.
 */
import type { Store, TaskRecord } from "../../store/index.js";
import { TaskInterruptedError } from "../sandbox/index.js";
import { describeFailure } from "./attempt.js";
import { storeValues } from "./store-values.js";
import type { AttemptFailure, StepPolicy, TaskExecution, TaskOutcome, TaskSpec } from "./types.js";

/** What `catch` stores: the exception as plain data, readable by any later step or the client. */
export interface CaughtException {
  type: string;
  message: string;
  stack: string;
}

export async function runAttempts(
  spec: TaskSpec,
  step: StepPolicy,
  io: TaskExecution,
  store: Store,
  runOne: (attempt: number) => Promise<TaskOutcome>,
): Promise<TaskOutcome> {
  const retries = step.options.retries ?? 0;
  const attempts = retries + 1;
  for (let attempt = spec.attempt ?? 0; ; attempt++) {
    io.onAttempt?.(attempt, attempts);
    const outcome = await runOne(attempt);
    const { error } = outcome;
    if (!error) return outcome;
    const stopped = error instanceof TaskInterruptedError;
    const caughtAs = step.options.catch;
    const then: AttemptFailure["then"] = stopped ? "fail" : attempt < retries ? "retry" : caughtAs ? "catch" : "fail";
    io.onAttemptFailed?.({ attempt, attempts, error, then, caughtAs: then === "catch" ? caughtAs : undefined });
    if (then === "retry" && !io.onlyThisAttempt) continue;
    if (then === "catch" && caughtAs) return { record: await keepCaught(store, outcome.record, step, caughtAs, error) };
    return outcome;
  }
}

/** Turns the failed record into a succeeded one holding the exception (and what the step set). */
async function keepCaught(store: Store, failed: TaskRecord, step: StepPolicy, name: string, error: Error): Promise<TaskRecord> {
  const caught: CaughtException = { type: error.name, message: error.message, stack: describeFailure(error) };
  const refs = await storeValues(store, { [name]: caught });
  const { error: _failure, ...rest } = failed;
  const record: TaskRecord = {
    ...rest,
    status: "succeeded",
    artifacts: { ...failed.artifacts, ...refs },
    next: step.next ? { ...step.next, steps: [...step.next.steps] } : undefined,
    caught: name,
    finishedAt: Date.now(),
  };
  await store.commitTask({ task: record, blobs: new Map() });
  return record;
}
