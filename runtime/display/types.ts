/** What a step or a cell shows: Jupyter MIME bundles, and how a task keeps the ones it displayed. */

/** A Jupyter-style MIME bundle: "text/plain" is always present. */
export type MimeBundle = Record<string, unknown> & { "text/plain": string };

export interface DisplayOptions {
  /** A display that later calls may replace (`update`) by this id. */
  displayId?: string;
  update?: boolean;
  metadata?: Record<string, unknown>;
}

/** One display() of a task, as its card shows it. */
export interface ShownDisplay {
  data: MimeBundle;
  metadata?: Record<string, unknown>;
  displayId?: string;
}
