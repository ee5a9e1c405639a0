/**
 * The run a notebook session records its cells' tasks in, and what that run's status says. A
 * notebook run is successful only while every step of its graph has a fresh, successful task
 * (SPEC §6): a step is fresh when its newest tasks succeeded, read its parents' newest tasks and the
 * current parameters, and its parents are fresh. The status is written whenever it changes, so
 * `latestSuccessfulRun` never returns a notebook whose cell failed or whose steps are stale.
 */
import type { ArtifactRef, RunRecord, RunStatus, Store, TaskRecord } from "../../store/index.js";
import type { NotebookGraph } from "../../notebooks/index.js";

/** What a step's newest run (its cell's last execution) left. */
export interface StepTasks {
  /** Its tasks in order; when it failed, the failed task is the last. */
  tasks: TaskRecord[];
  failed: boolean;
  /** The tasks it read (its parents' newest, at the time), as "step/task" ids. */
  inputs: string[];
  /** The parameters it saw (a generation number, bumped by every parameters cell). */
  parameters: number;
}

export type StepFreshness = "fresh" | "stale" | "failed" | "not run";

export interface RunDescription {
  flow: string;
  /** The notebook's file, when the session knows it. */
  source?: string;
  parameters: Record<string, ArtifactRef>;
}

const key = (t: TaskRecord) => `${t.step}/${t.taskId}`;

export class NotebookRun {
  #record?: RunRecord;
  #steps = new Map<string, StepTasks>();
  #parameterGeneration = 0;
  #nextTaskId = 1;
  /** The status last written, to write only changes. */
  #written?: string;

  constructor(
    private readonly store: Store,
    private readonly user: string,
  ) {}

  get record(): RunRecord | undefined {
    return this.#record;
  }

  /** The run the next task goes into, created (status running) by the first step cell. */
  async ensure(describe: RunDescription): Promise<RunRecord> {
    if (this.#record) return this.#record;
    this.#record = {
      flow: describe.flow,
      runId: this.store.newRunId(),
      status: "running",
      tags: ["notebook", `user:${this.user}`],
      parameters: describe.parameters,
      createdAt: Date.now(),
      source: describe.source,
      pid: process.pid,
    };
    this.#nextTaskId = 1;
    this.#written = "running";
    await this.store.putRun(this.#record);
    return this.#record;
  }

  newTaskId(): string {
    return String(this.#nextTaskId++);
  }

  newest(step: string): StepTasks | undefined {
    return this.#steps.get(step);
  }

  /** The tasks children read: the step's newest, when they succeeded. */
  successful(step: string): TaskRecord[] | undefined {
    const s = this.#steps.get(step);
    return s && !s.failed ? s.tasks : undefined;
  }

  recordStep(step: string, tasks: TaskRecord[], failed: boolean, inputs: TaskRecord[]): void {
    this.#steps.set(step, { tasks, failed, inputs: inputs.map(key).sort(), parameters: this.#parameterGeneration });
  }

  forgetStep(step: string): void {
    this.#steps.delete(step);
  }

  /** New parameter values: every step that ran saw the old ones. */
  async setParameters(refs: Record<string, ArtifactRef>): Promise<void> {
    this.#parameterGeneration++;
    if (this.#record) {
      this.#record = { ...this.#record, parameters: refs };
      await this.store.putRun(this.#record);
    }
  }

  freshness(graph: NotebookGraph): Map<string, StepFreshness> {
    const out = new Map<string, StepFreshness>();
    const byName = new Map(graph.steps.map((s) => [s.name, s]));
    const visiting = new Set<string>();
    const of = (name: string): StepFreshness => {
      const known = out.get(name);
      if (known) return known;
      const tasks = this.#steps.get(name);
      let verdict: StepFreshness;
      if (!tasks) verdict = "not run";
      else if (tasks.failed) verdict = "failed";
      else if (visiting.has(name))
        verdict = "stale"; // a cycle: the graph reports it
      else {
        visiting.add(name);
        const parents = byName.get(name)?.parents ?? [];
        const read = parents.flatMap((p) => this.#steps.get(p)?.tasks.map(key) ?? []).sort();
        const upToDate =
          tasks.parameters === this.#parameterGeneration &&
          read.length === tasks.inputs.length &&
          read.every((k, i) => k === tasks.inputs[i]) &&
          parents.every((p) => of(p) === "fresh");
        visiting.delete(name);
        verdict = upToDate ? "fresh" : "stale";
      }
      out.set(name, verdict);
      return verdict;
    };
    for (const s of graph.steps) of(s.name);
    return out;
  }

  /** Succeeded while every step is fresh; failed while a step's newest task failed; else running. */
  status(graph: NotebookGraph): { status: RunStatus; failedStep?: string } {
    const fresh = this.freshness(graph);
    const failed = graph.steps.find((s) => fresh.get(s.name) === "failed");
    if (failed) return { status: "failed", failedStep: failed.name };
    if (graph.steps.length > 0 && graph.steps.every((s) => fresh.get(s.name) === "fresh")) return { status: "succeeded" };
    return { status: "running" };
  }

  /** Writes the run's status when it changed. */
  async sync(graph: NotebookGraph): Promise<void> {
    if (!this.#record) return;
    await this.write(this.status(graph));
  }

  /** The session is done with this run: what is not successful now has failed. */
  async finish(graph: NotebookGraph): Promise<RunRecord | undefined> {
    const record = this.#record;
    if (!record) return undefined;
    const now = this.status(graph);
    if (now.status === "running") {
      const fresh = this.freshness(graph);
      now.status = "failed";
      now.failedStep = graph.steps.find((s) => fresh.get(s.name) !== "fresh")?.name;
    }
    await this.write(now);
    const finished = this.#record;
    this.#record = undefined;
    this.#steps.clear();
    this.#written = undefined;
    return finished;
  }

  private async write(now: { status: RunStatus; failedStep?: string }): Promise<void> {
    const record = this.#record;
    if (!record) return;
    const stamp = `${now.status}/${now.failedStep ?? ""}`;
    if (stamp === this.#written) return;
    const { failedStep: _old, finishedAt: _at, ...rest } = record;
    this.#record = {
      ...rest,
      status: now.status,
      ...(now.failedStep !== undefined ? { failedStep: now.failedStep } : {}),
      ...(now.status !== "running" ? { finishedAt: Date.now() } : {}),
    };
    this.#written = stamp;
    await this.store.putRun(this.#record);
  }
}
