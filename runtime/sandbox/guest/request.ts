/** What the host asks a guest to run (one task of one step), and what the guest answers. */

export type ArtifactShas = Record<string, string>;

export interface TaskInput {
  pathspec: string;
  step: string;
  artifacts: ArtifactShas;
}

export interface TaskRequest {
  flow: string;
  step: string;
  pathspec: string;
  /** The task's starting artifacts: its parent's (linear, foreach child) or the parameters (start, join). */
  initial: ArtifactShas;
  /** Parameter artifact name -> its command-line name (which reads as an alias). */
  parameters: Record<string, string>;
  /** Inputs of a join, in order. */
  inputs?: TaskInput[];
  foreach?: { input: unknown; index: number };
  /** Step names of the flow, so `this.next(this.x)` can be resolved by identity. */
  steps: string[];
  /** The method that runs the step, when it is not named after it (a notebook cell's module). */
  method?: string;
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
}
