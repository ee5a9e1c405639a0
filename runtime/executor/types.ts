/**
 * Where one task runs, and everything that belongs to running it: its attempts (`retries`), what a
 * `catch` step keeps, the commit of a failed task with what it set. The scheduler keeps the DAG
 * (what is ready, foreach fan-out, joins); an executor runs one task to its final, committed record.
 * The local executor runs it here, in this process's sandboxes; the queue executor (runtime/remote)
 * sends each attempt to a worker, which runs it with a local executor.
 */
import type { ArtifactRef, Frame, RunRecord, TaskLogs, TaskRecord } from "../../store/index.js";
import type { StepOptions } from "../graph/index.js";
import type { TaskIO } from "../sandbox/index.js";
import type { DisplayOptions, MimeBundle } from "../display/index.js";

export interface TaskSpec {
  flow: string;
  runId: string;
  step: string;
  taskId: string;
  stack: Frame[];
  /** Input tasks: the parent, or every branch of a join. */
  inputs: TaskRecord[];
  isJoin: boolean;
  /** The references the task starts from (parent's artifacts, or the parameters). */
  initial: Record<string, ArtifactRef>;
  foreach?: { input: unknown; index: number };
  /** Parameter artifact name -> command-line name. */
  parameterNames: Record<string, string>;
  stepNames: string[];
  /** The first attempt to make (0; an orchestrator that retries by itself passes its retry count). */
  attempt?: number;
  /** The flow class method to call, when it is not named after the step (notebook cells). */
  method?: string;
  /** The run's tags and origin, for `current` (read from the datastore when not given). */
  run?: Pick<RunRecord, "tags" | "originRunId">;
}

/** What an executor needs to know of a step: its name, options, and the transition its source takes. */
export interface StepPolicy {
  name: string;
  options: StepOptions;
  /** The static transition, which a caught failure follows (none for `end` and notebook cells). */
  next?: { steps: string[]; foreach?: string };
}

export interface TaskOutcome {
  record: TaskRecord;
  /** Set when the task failed (after every attempt; a caught failure is not one). */
  error?: Error;
}

/** Why an attempt failed, and what comes next for the task. */
export interface AttemptFailure {
  /** The attempt that failed, from 0. */
  attempt: number;
  /** Attempts the step may make in all (retries + 1). */
  attempts: number;
  error: Error;
  /** What happens now: another attempt, the failure kept as an artifact, or the task fails. */
  then: "retry" | "catch" | "fail";
  /** The artifact that holds the exception, when `then` is "catch". */
  caughtAs?: string;
}

export interface TaskExecution {
  /** Output of the task, in chunks, as it prints it (a remote executor may deliver it later). */
  onOutput(stream: "stdout" | "stderr", text: string): void;
  /** The pid running the attempt, when it is not this process (a `process` step's child). */
  onStarted?(pid: number): void;
  /** An attempt is starting (attempt from 0 of `attempts`). */
  onAttempt?(attempt: number, attempts: number): void;
  /** An attempt failed: say so before the next one starts. */
  onAttemptFailed?(failure: AttemptFailure): void;
  /** Checks the transition the step took against the static graph; throws to fail the attempt. */
  checkTransition?(next: TaskRecord["next"]): void;
  /**
   * The task was not run: its results were reused from the task `from` (a pathspec; `run --cache`).
   * `logs` is what that task printed, for a front end that replays it.
   */
  onReused?(from: string, logs: TaskLogs | undefined): void;
  /** Make only `spec.attempt`: the orchestrator (Argo) retries by running the task again. */
  onlyThisAttempt?: boolean;
  /**
   * What the task displays, as MIME bundles, for a front end that shows them (a notebook cell).
   * Without it each display leaves a readable line in the task's log. Either way the task keeps
   * its displays (TaskRecord.displays) for its card.
   */
  onDisplay?(bundle: MimeBundle, options: DisplayOptions): void;
  /** Notebook cells: the cell's value and the helpers that reach the front end. */
  notebook?: Pick<TaskIO, "result" | "runFlow" | "prompt">;
  /**
   * Notebook cells: the cell's value, asked for when the task succeeded (`{ of }`, or undefined
   * when it has none); kept with its record (`cellValue`) so that a reuse can show it again.
   */
  cellValue?(): { of: unknown } | undefined;
}

export interface TaskExecutor {
  /** Before any task: bundle, connect, check settings; throwing fails the run before it starts tasks. */
  prepare(steps: readonly StepPolicy[]): Promise<void>;
  /** Runs one task to its committed record: every attempt its retries allow, then its catch. */
  execute(spec: TaskSpec, step: StepPolicy, io: TaskExecution): Promise<TaskOutcome>;
  /** Stops what is running (Ctrl-C, a signal); pending executes settle as failed. */
  interruptAll(): void;
  close(): Promise<void>;
}
