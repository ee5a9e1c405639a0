/**
 * Metaflow's `current`: what a running step knows of itself (its run, step, task, attempt, tags and
 * user). The runner sets it from the request before the step's code runs; a context runs one task,
 * so it stays set until the context is thrown away. Outside a step `isRunningFlow` is false and the
 * other fields throw, naming why, instead of reading as undefined.
 */
import { GuestError } from "./errors.js";
import type { TaskRequest } from "./request.js";

/** Reading `current.runId` (or any field but isRunningFlow) where no step runs. */
export class NotInStepError extends GuestError {
  constructor(field: string) {
    super(
      "NOT_IN_STEP",
      `current.${field} is only set while a step runs (here current.isRunningFlow is false): read it inside a @step method or a cell`,
    );
  }
}

interface RunningTask {
  flowName: string;
  runId: string;
  stepName: string;
  taskId: string;
  pathspec: string;
  retryCount: number;
  originRunId?: string;
  tags: readonly string[];
  username: string;
}

let running: RunningTask | undefined;

/** Called by the runner as a task starts. */
export function enterTask(request: TaskRequest): void {
  const c = request.current;
  if (!c) return;
  running = {
    flowName: request.flow,
    runId: c.runId,
    stepName: request.step,
    taskId: c.taskId,
    pathspec: request.pathspec,
    retryCount: c.retryCount,
    originRunId: c.originRunId,
    tags: Object.freeze([...c.tags]),
    username: c.username,
  };
}

function field<K extends keyof RunningTask>(name: K): RunningTask[K] {
  if (!running) throw new NotInStepError(name);
  return running[name];
}

export interface Current {
  /** True inside a step (or a notebook cell); false in a script. */
  readonly isRunningFlow: boolean;
  readonly flowName: string;
  readonly runId: string;
  readonly stepName: string;
  readonly taskId: string;
  /** `Flow/run/step/task` */
  readonly pathspec: string;
  /** 0 on the first attempt, 1 on the first retry (`@step({ retries })`). */
  readonly retryCount: number;
  /** The run this one resumed, when it is a resume. */
  readonly originRunId: string | undefined;
  /** The run's tags, `user:NAME` included. */
  readonly tags: readonly string[];
  /** Who started the run. */
  readonly username: string;
  /** The client's default namespace in this run: `user:NAME`. */
  readonly namespace: string;
}

export const current: Current = Object.freeze({
  get isRunningFlow() {
    return running !== undefined;
  },
  get flowName() {
    return field("flowName");
  },
  get runId() {
    return field("runId");
  },
  get stepName() {
    return field("stepName");
  },
  get taskId() {
    return field("taskId");
  },
  get pathspec() {
    return field("pathspec");
  },
  get retryCount() {
    return field("retryCount");
  },
  get originRunId() {
    return field("originRunId");
  },
  get tags() {
    return field("tags");
  },
  get username() {
    return field("username");
  },
  get namespace() {
    return `user:${field("username")}`;
  },
});
