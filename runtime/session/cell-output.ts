/**
 * A reused step cell shows what the task it reuses showed: what it printed (its logs), what it
 * displayed (the record's `displays`, which its card shows too) and its value (the record's
 * `cellValue`), under a first line that says whose results these are.
 */
import type { ShownDisplay } from "../display/index.js";
import type { ArtifactRef, StoreReader, TaskLogs, TaskRecord } from "../../store/index.js";
import type { CellSink } from "./types.js";

export function replayReused(
  sink: CellSink,
  reader: StoreReader,
  reused: { from: string; logs?: TaskLogs; record: TaskRecord },
  onResult: (value: unknown) => void,
): void {
  sink.stderr(`Reused results of task ${reused.from}\n`);
  if (reused.logs?.stdout) sink.stdout(reused.logs.stdout);
  if (reused.logs?.stderr) sink.stderr(reused.logs.stderr);
  const { displays, cellValue } = reused.record;
  const shown = displays ? readBlob<ShownDisplay[]>(reader, displays, Array.isArray) : [];
  const value = cellValue
    ? readBlob<{ of: unknown }>(reader, cellValue, (v) => typeof v === "object" && v !== null && "of" in v)
    : undefined;
  if (shown === undefined || (cellValue && value === undefined)) {
    sink.stderr("(Some of what that task showed is no longer in the datastore.)\n");
  }
  // Each display as it ended (an update already replaced what it updated); no id: nothing updates it now.
  for (const d of shown ?? []) sink.display(d.data, d.metadata ? { metadata: d.metadata } : undefined);
  if (value) onResult(value.of);
}

function readBlob<T>(reader: StoreReader, ref: ArtifactRef, is: (v: unknown) => boolean): T | undefined {
  try {
    const value = reader.loadBlob(ref.sha);
    return is(value) ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}
