/**
 * Runs a flow's tasks on `steplab worker` processes through a BullMQ queue, while the scheduler
 * here keeps the DAG. Each task is one job whose id is its pathspec, so a task sent twice (a
 * re-sent job, a restarted scheduler) is one job. The outcome comes back through the datastore:
 * the worker commits the task record, artifacts and logs, and this side reads them. What a task
 * prints arrives while it runs, as the job's progress (live-output.ts).
 */
import { Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import {
  runAttempts,
  startingRecord,
  toTaskError,
  type StepPolicy,
  type TaskExecution,
  type TaskExecutor,
  type TaskOutcome,
  type TaskSpec,
} from "../executor/index.js";
import { SteplabError } from "../../errors/index.js";
import { redactUrl, type RemoteConfig, type Store, type TaskError, type TaskRecord } from "../../store/index.js";
import { checkRedis, connect, isOutputProgress, JOB_NAME, jobIdFor, QueueError, redisUrl, type TaskJobData } from "./queue.js";

/** Finished jobs are kept this long, so a re-sent task finds its job instead of running again. */
const KEEP_FINISHED_SECONDS = 7 * 24 * 3600;

type JobResult = { ok: true } | { ok: false; reason: string };

/** A job this side waits for: how it ends, and what its task printed while it ran. */
interface Waiter {
  settle(result: JobResult): void;
  progress(data: unknown): void;
}

/** Characters of each stream shown live: the logs read at the end show the rest. */
type Shown = { stdout: number; stderr: number };

export interface QueueExecutorOptions {
  /** The remote datastore (its root is what workers open). */
  store: Store;
  /** The flow file (an absolute path every worker has) and its class. */
  flow: { file: string; name: string };
  config: RemoteConfig;
  /** Global concurrency of the queue: tasks running at once on all workers together. */
  maxWorkers: number;
  /** Where to say that no worker is listening yet. */
  note?(text: string): void;
}

/** A task the queue gave up on (a worker's error or a lost job), rebuilt from what was recorded. */
export class QueueTaskError extends SteplabError {
  constructor(message: string, code = "QUEUE_TASK") {
    super(code, message);
  }
}

function rebuildError(error: TaskError | undefined, reason: string | undefined): Error {
  if (!error) return new QueueTaskError(reason ?? "the task failed on a worker");
  if (error.code) {
    const e = new QueueTaskError(error.message, error.code);
    e.name = error.name;
    return e;
  }
  const e = new Error(error.message);
  e.name = error.name;
  if (error.stack) e.stack = error.stack;
  return e;
}

/** The worker appends the failure to stderr, and the scheduler prints it again: keep one. */
function withoutFailureTail(stderr: string, error: TaskError | undefined): string {
  if (!error) return stderr;
  for (const shown of [error.stack, `${error.name}: ${error.message}`]) {
    if (shown && stderr.endsWith(`${shown}\n`)) return stderr.slice(0, -(shown.length + 1));
  }
  return stderr;
}

export class QueueExecutor implements TaskExecutor {
  readonly #opts: QueueExecutorOptions;
  readonly #url: string;
  #queue: Queue | undefined;
  #events: QueueEvents | undefined;
  readonly #waiters = new Map<string, Waiter>();
  /** BullMQ leaves connections it was given open; they are closed here. */
  readonly #connections: Redis[] = [];

  constructor(opts: QueueExecutorOptions) {
    this.#opts = opts;
    this.#url = redisUrl(opts.config);
  }

  get queueName(): string {
    return this.#opts.config.queue;
  }

  async prepare(): Promise<void> {
    await checkRedis(this.#url);
    const name = this.#opts.config.queue;
    const [forQueue, forEvents] = [connect(this.#url), connect(this.#url)];
    this.#connections.push(forQueue, forEvents);
    this.#queue = new Queue(name, { connection: forQueue });
    this.#events = new QueueEvents(name, { connection: forEvents });
    this.#events.on("completed", ({ jobId }) => this.#settle(jobId, { ok: true }));
    this.#events.on("failed", ({ jobId, failedReason }) => this.#settle(jobId, { ok: false, reason: failedReason }));
    this.#events.on("progress", ({ jobId, data }) => this.#waiters.get(jobId)?.progress(data));
    await this.#events.waitUntilReady();
    await this.#queue.setGlobalConcurrency(this.#opts.maxWorkers);
    const workers = await this.#queue.getWorkersCount();
    if (workers === 0) {
      this.#opts.note?.(
        `No steplab worker is listening on queue '${name}' at ${redactUrl(this.#url)} yet: tasks wait until one starts (npx steplab worker).`,
      );
    }
  }

  #settle(jobId: string, result: JobResult): void {
    const waiter = this.#waiters.get(jobId);
    if (!waiter) return;
    this.#waiters.delete(jobId);
    waiter.settle(result);
  }

  /** Each attempt is one job; retries and catch are decided here, as for a local run. */
  execute(spec: TaskSpec, step: StepPolicy, io: TaskExecution): Promise<TaskOutcome> {
    return runAttempts(spec, step, io, this.#opts.store, (attempt) => this.#sendAttempt(spec, step, io, attempt));
  }

  async #sendAttempt(spec: TaskSpec, step: StepPolicy, io: TaskExecution, attempt: number): Promise<TaskOutcome> {
    const queue = this.#queue;
    if (!queue) throw new QueueError("the queue executor was not prepared");
    const data: TaskJobData = {
      datastore: this.#opts.store.root,
      file: this.#opts.flow.file,
      flowClass: this.#opts.flow.name,
      flow: spec.flow,
      runId: spec.runId,
      step: spec.step,
      taskId: spec.taskId,
      stack: spec.stack,
      inputs: spec.inputs.map((t) => ({ step: t.step, taskId: t.taskId })),
      isJoin: spec.isJoin,
      foreachIndex: spec.foreach?.index,
      parameterNames: spec.parameterNames,
      stepNames: spec.stepNames,
      attempt,
      isolation: step.options.isolation ?? "isolate",
      memoryMb: step.options.memoryMb,
      timeoutSeconds: step.options.timeoutSeconds,
    };
    const jobId = jobIdFor(data);
    const shown: Shown = { stdout: 0, stderr: 0 };
    const finished = new Promise<JobResult>((resolve) =>
      this.#waiters.set(jobId, {
        settle: resolve,
        progress: (data) => {
          if (!isOutputProgress(data) || data.attempt !== attempt) return;
          for (const [stream, text] of data.output) {
            io.onOutput(stream, text);
            shown[stream] += text.length;
          }
        },
      }),
    );
    await queue.add(JOB_NAME, data, {
      jobId,
      removeOnComplete: { age: KEEP_FINISHED_SECONDS },
      removeOnFail: { age: KEEP_FINISHED_SECONDS },
    });
    // A job that already existed (sent before) may have finished before anyone listened.
    const state = await queue.getJobState(jobId);
    if (state === "completed") this.#settle(jobId, { ok: true });
    else if (state === "failed") {
      const job = await queue.getJob(jobId);
      this.#settle(jobId, { ok: false, reason: job?.failedReason ?? "failed" });
    }
    return this.#outcome(spec, attempt, await finished, io, shown);
  }

  async #outcome(spec: TaskSpec, attempt: number, result: JobResult, io: TaskExecution, shown: Shown): Promise<TaskOutcome> {
    const { store } = this.#opts;
    const record = store.getTask(spec.flow, spec.runId, spec.step, spec.taskId);
    const logs = store.getLogs(spec.flow, spec.runId, spec.step, spec.taskId);
    // What the attempt printed and was not shown live (all of it when the job had finished
    // before this side listened).
    const live = record?.attempt === attempt ? shown : { stdout: 0, stderr: 0 };
    const stdout = (logs?.stdout ?? "").slice(live.stdout);
    if (stdout) io.onOutput("stdout", stdout);
    const failedHere = result.ok && record?.status === "succeeded" ? undefined : record?.error;
    const stderr = withoutFailureTail(logs?.stderr ?? "", failedHere).slice(live.stderr);
    if (stderr) io.onOutput("stderr", stderr);

    if (result.ok && record?.status === "succeeded") {
      try {
        io.checkTransition?.(record.next);
        return { record };
      } catch (err) {
        return this.#fail(record, err as Error, logs);
      }
    }
    const reason = result.ok ? "the worker finished without committing the task" : result.reason;
    const error = rebuildError(record?.status === "failed" ? record.error : undefined, reason);
    if (record?.status === "failed") return { record, error };
    // The worker could not record the failure (its datastore was out of reach): record it here.
    const base: TaskRecord = record ?? startingRecord(spec, "failed", attempt);
    return this.#fail(base, error, logs);
  }

  async #fail(record: TaskRecord, error: Error, logs: { stdout: string; stderr: string } | undefined): Promise<TaskOutcome> {
    const failed: TaskRecord = { ...record, status: "failed", finishedAt: Date.now(), error: toTaskError(error) };
    const stderr = `${logs?.stderr ?? ""}${error.name}: ${error.message}\n`;
    await this.#opts.store.commitTask({ task: failed, blobs: new Map(), logs: { stdout: logs?.stdout ?? "", stderr } });
    return { record: failed, error };
  }

  interruptAll(): void {
    for (const jobId of [...this.#waiters.keys()]) {
      // Waiting jobs are taken back; a job a worker already runs finishes there, unrecorded here.
      void this.#queue?.remove(jobId).catch(() => undefined);
      this.#settle(jobId, { ok: false, reason: "interrupted" });
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#events?.close(), this.#queue?.close()]);
    for (const c of this.#connections.splice(0)) c.disconnect();
  }
}
