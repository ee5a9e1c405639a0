/** Pathspecs, Metaflow's names for what the store holds: `Flow/run`, `Flow/run/step`, `Flow/run/step/task`. */

export interface TaskPlace {
  flow: string;
  runId: string;
  step: string;
  taskId: string;
}

export function runPathspec(r: { flow: string; runId: string }): string {
  return `${r.flow}/${r.runId}`;
}

export function taskPathspec(t: TaskPlace): string {
  return `${t.flow}/${t.runId}/${t.step}/${t.taskId}`;
}
