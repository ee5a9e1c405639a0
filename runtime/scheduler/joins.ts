/**
 * Where a join waits for its inputs. Each task inside a split carries a frame for it; the join
 * closes the innermost frame, so its inputs are the tasks arriving with the same frame owner,
 * one per branch or foreach index.
 */
import type { Frame, TaskRecord } from "../../store/index.js";

export class JoinBuckets {
  private readonly buckets = new Map<string, { frame: Frame; arrived: TaskRecord[] }>();

  /** Adds a task that transitions into `join`; returns the full, ordered inputs once all arrived. */
  arrive(join: string, task: TaskRecord): { inputs: TaskRecord[]; stack: Frame[] } | undefined {
    const frame = task.stack.at(-1);
    if (!frame) throw new Error(`Task ${task.step}/${task.taskId} reaches join '${join}' outside any split`);
    const key = `${join}\u0000${frame.taskId}\u0000${frame.step}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { frame, arrived: [] };
      this.buckets.set(key, bucket);
    }
    bucket.arrived.push(task);
    if (bucket.arrived.length < frame.count) return undefined;
    this.buckets.delete(key);
    const inputs = [...bucket.arrived].sort((a, b) => a.stack.at(-1)!.index - b.stack.at(-1)!.index);
    return { inputs, stack: task.stack.slice(0, -1) };
  }
}
