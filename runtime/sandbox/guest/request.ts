/** What the host asks a guest to run (one task of one step), and what the guest answers. */

export type ArtifactShas = Record<string, string>;

export interface TaskInput {
  pathspec: string;
  step: string;
  artifacts: ArtifactShas;
}

/** What `current` says inside the step, beyond the flow, step and pathspec. */
export interface TaskContext {
  runId: string;
  taskId: string;
  /** The attempt, from 0. */
  retryCount: number;
  originRunId?: string;
  tags: string[];
  username: string;
}

export interface TaskRequest {
  flow: string;
  step: string;
  pathspec: string;
  /** What `current` says; absent for code that runs outside a task (a notebook's setup or scratch cell). */
  current?: TaskContext;
  /** Outside a task: whose namespace (`user:NAME`) the client reads by default. */
  user?: string;
  /** The task's starting artifacts: its parent's (linear, foreach child) or the parameters (start, join). */
  initial: ArtifactShas;
  /** Parameter artifact (field) name -> its command-line name. Only the field is an artifact. */
  parameters: Record<string, string>;
  /** Inputs of a join, in order. */
  inputs?: TaskInput[];
  foreach?: { input: unknown; index: number };
  /** Step names of the flow, so `this.next(this.x)` can be resolved by identity. */
  steps: string[];
  /** The method that runs the step, when it is not named after it (a notebook cell's module). */
  method?: string;
  /** Run no step: evaluate the flow's parameter defaults and emit them, by field name. */
  defaultsOnly?: boolean;
}

/** A failed step's error as data: what crosses to the host, `code` included. */
export interface GuestFailure {
  name: string;
  message: string;
  stack?: string;
  /** The error's stable code (a steplab guest error's, or any `code` string the error carried). */
  code?: string;
}

export interface GuestOutcome {
  next?: { steps: string[]; foreach?: string };
  /** Artifacts handed to the host with emit(), in order. */
  emitted: string[];
  deleted: string[];
  /** Artifacts taken by mergeArtifacts: name -> sha. */
  merged: ArtifactShas;
  /** A notebook cell's value when it is a primitive; other values reach the host through host.result. */
  value?: { primitive: string | number | boolean | bigint | null };
  /** Set when the step failed: the artifacts it emitted before are the failed task's. */
  failure?: GuestFailure;
}
