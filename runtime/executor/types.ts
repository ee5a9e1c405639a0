/**
 * Where a scheduled task runs. The scheduler keeps the DAG (what is ready, foreach fan-out,
 * joins); an executor only runs one task and returns its committed record. The default runs it
 * here, in this process's sandboxes; the queue executor (runtime/remote) sends it to workers.
 */
import type { StepNode, FlowGraph } from "../graph/types.js";
import type { TaskOutcome, TaskSpec } from "../scheduler/task.js";
import type { TaskRecord } from "../../store/index.js";

export interface TaskExecution {
  /** Output of the task, in chunks (a remote executor may deliver it when the task ends). */
  onOutput(stream: "stdout" | "stderr", text: string): void;
  /** Checks the transition the step took against the static graph; throws to fail the task. */
  checkTransition(next: TaskRecord["next"]): void;
}

export interface TaskExecutor {
  /** Before any task: connect, check settings; throwing fails the run before it starts tasks. */
  prepare(graph: FlowGraph): Promise<void>;
  /** Runs one task to its committed record (succeeded or failed, with `error` set when failed). */
  execute(spec: TaskSpec, node: StepNode, io: TaskExecution): Promise<TaskOutcome>;
  /** Stops what is running for this run (Ctrl-C); pending executes settle as failed. */
  interruptAll(): void;
}
