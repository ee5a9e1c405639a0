/**
 * What a step cell's task showed besides its logs — its value and its displays — kept with the
 * task (the record's `cellOutput` blob) so that re-running the cell can reuse the task and show the
 * same output again, marked as reused.
 */
import type { ArtifactRef, StoreReader, TaskLogs } from "../../store/index.js";
import type { CellSink, MimeBundle } from "./types.js";

/** The blob's content. The value is kept as it came out of the sandbox: a foreach cell's tasks' values become one list. */
interface KeptOutput {
  value?: { of: unknown };
  displays: MimeBundle[];
}

/** Collects one task's value and displays while it runs. */
export class CellOutputRecorder {
  #value?: { of: unknown };
  readonly #displays: { data: MimeBundle; id?: string }[] = [];

  /** The sink the task writes to: displays are recorded on their way to `sink`. */
  watch(sink: CellSink): CellSink {
    return {
      ...sink,
      display: (data, opts) => {
        this.#display(data, opts?.displayId, opts?.update === true);
        sink.display(data, opts);
      },
    };
  }

  result(value: unknown): void {
    this.#value = { of: value };
  }

  /** What to keep, or undefined when the task showed nothing. */
  kept(): KeptOutput | undefined {
    if (!this.#value && this.#displays.length === 0) return undefined;
    return { ...(this.#value ? { value: this.#value } : {}), displays: this.#displays.map((d) => d.data) };
  }

  /** An update replaces the display it updates: a reuse shows each display as it ended. */
  #display(data: MimeBundle, id: string | undefined, update: boolean): void {
    const earlier = id === undefined ? -1 : this.#displays.findIndex((d) => d.id === id);
    if (update && earlier >= 0) this.#displays[earlier] = { data, id };
    else this.#displays.push({ data, id });
  }
}

/**
 * Shows a reused task's output: a first line saying whose results these are, then what that task
 * printed, its displays, and its value (to `onResult`, which makes the cell's result).
 */
export function replayReused(
  sink: CellSink,
  reader: StoreReader,
  reused: { from: string; logs?: TaskLogs; cellOutput?: ArtifactRef },
  onResult: (value: unknown) => void,
): void {
  sink.stderr(`Reused results of task ${reused.from}\n`);
  if (reused.logs?.stdout) sink.stdout(reused.logs.stdout);
  if (reused.logs?.stderr) sink.stderr(reused.logs.stderr);
  if (!reused.cellOutput) return;
  const kept = readKept(reader, reused.cellOutput);
  if (!kept) {
    sink.stderr("(The value and displays of that task are no longer in the datastore.)\n");
    return;
  }
  for (const data of kept.displays) sink.display(data);
  if (kept.value) onResult(kept.value.of);
}

function readKept(reader: StoreReader, ref: ArtifactRef): KeptOutput | undefined {
  try {
    const kept = reader.loadBlob(ref.sha) as KeptOutput | undefined;
    return Array.isArray(kept?.displays) ? kept : undefined;
  } catch {
    return undefined;
  }
}
