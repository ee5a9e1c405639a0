/**
 * What `%explore` reads: flows -> runs -> steps -> tasks -> artifacts and logs. The explorer sees
 * only this interface; `clientExplorerSource` provides it through the client API.
 */
import { currentReader, Flow, Run, Step, Steplab, Task, type StoreReader } from "../runtime/client/index.js";
import { runPathspec, taskPathspec } from "../store/index.js";
import { openCard } from "./open-card.js";

export interface ExplorerRun {
  id: string;
  status: string;
  createdAt?: number;
  finishedAt?: number;
  tags: string[];
}

export interface ExplorerStep {
  name: string;
  tasks: number;
  status: string;
}

export interface ExplorerTask {
  id: string;
  status: string;
  startedAt?: number;
  finishedAt?: number;
  error?: string;
}

export interface ExplorerArtifact {
  name: string;
  type: string;
  size: number;
  sha: string;
  /** Decodes the value (lazily: artifacts can be large). */
  load(): unknown;
}

export interface ExplorerSource {
  flows(): string[];
  runs(flow: string): ExplorerRun[];
  steps(flow: string, runId: string): ExplorerStep[];
  tasks(flow: string, runId: string, step: string): ExplorerTask[];
  artifacts(flow: string, runId: string, step: string, taskId: string): ExplorerArtifact[];
  logs(flow: string, runId: string, step: string, taskId: string): { stdout: string; stderr: string };
  /** Writes the task's card as an HTML page (opening it in a browser when there is a desktop); says where. */
  card?(flow: string, runId: string, step: string, taskId: string): string;
}

function summarize(statuses: string[]): string {
  if (statuses.includes("failed")) return "failed";
  if (statuses.includes("running")) return "running";
  return statuses.length ? "succeeded" : "-";
}

/** The explorer over the client API (`reader` defaults to the client's current datastore). */
export function clientExplorerSource(reader?: StoreReader): ExplorerSource {
  const task = (flow: string, runId: string, step: string, taskId: string) => Task(taskPathspec({ flow, runId, step, taskId }), reader);
  return {
    flows: () => Steplab(reader).flows.map((f) => f.name),
    runs: (flow) =>
      Flow(flow, reader).runs.map((r) => {
        const rec = r.record;
        return {
          id: r.id,
          status: rec.status,
          createdAt: rec.createdAt,
          ...(rec.finishedAt !== undefined ? { finishedAt: rec.finishedAt } : {}),
          tags: rec.tags,
        };
      }),
    steps: (flow, run) =>
      Run(runPathspec({ flow, runId: run }), reader).steps.map((s) => {
        const tasks = s.tasks;
        return { name: s.id, tasks: tasks.length, status: summarize(tasks.map((t) => t.record.status)) };
      }),
    tasks: (flow, run, step) =>
      Step(`${runPathspec({ flow, runId: run })}/${step}`, reader).tasks.map((t) => {
        const rec = t.record;
        return {
          id: t.id,
          status: rec.status,
          startedAt: rec.startedAt,
          ...(rec.finishedAt !== undefined ? { finishedAt: rec.finishedAt } : {}),
          ...(rec.error ? { error: `${rec.error.name}: ${rec.error.message}` } : {}),
        };
      }),
    artifacts: (flow, run, step, id) =>
      task(flow, run, step, id).artifacts.map((a) => ({ name: a.name, type: a.type, size: a.size, sha: a.sha, load: () => a.data })),
    logs: (flow, run, step, id) => {
      const t = task(flow, run, step, id);
      return { stdout: t.stdout, stderr: t.stderr };
    },
    card: (flow, runId, step, taskId) => {
      const { file, opened } = openCard(reader ?? currentReader(), { flow, runId, step, taskId });
      return opened ? `Opened the card in your browser: ${file}` : `Card written to ${file} (open it in a browser)`;
    },
  };
}
