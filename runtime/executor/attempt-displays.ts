/**
 * What an attempt displays: each display() becomes a MIME bundle kept with the task (its card
 * shows it), and goes to the front end when there is one (a notebook cell), else leaves a
 * readable line in the task's log (a flow run's console cannot show pictures).
 *
 * While a flow task runs, what it showed and printed so far is committed with its running record
 * (at most every LIVE_COMMIT_MS), so a card viewer can follow the task.
 */
import { encodeArtifact, sha256, type ArtifactRef, type BlobBytes, type Store, type TaskCommit } from "../../store/index.js";
import { displayBundle, displayLine, TaskDisplays, type DisplayOptions } from "../display/index.js";
import type { TaskExecution } from "./types.js";

export const LIVE_COMMIT_MS = 1000;

export class AttemptDisplays {
  readonly #shown = new TaskDisplays();
  readonly #io: TaskExecution;
  readonly #log: (text: string) => void;
  #encoded?: { ref: ArtifactRef; bytes: Uint8Array };

  constructor(io: TaskExecution, log: (text: string) => void) {
    this.#io = io;
    this.#log = log;
  }

  /** A display() of the task's code (kind: "html", "chart", ... see runtime/display). */
  show(kind: string, data: unknown, options: DisplayOptions = {}): void {
    const bundle = displayBundle(kind, data);
    if (!this.#shown.add(bundle, options)) return;
    this.#encoded = undefined;
    if (this.#io.onDisplay) this.#io.onDisplay(bundle, options);
    else this.#log(displayLine(bundle));
  }

  get size(): number {
    return this.#shown.size;
  }

  /**
   * The record's reference to the displays' blob, adding the blob to `blobs` always: the commit
   * decides whether the store has it, where that cannot race with `steplab gc` (see TaskCommit).
   */
  reference(blobs: Map<string, BlobBytes>): ArtifactRef | undefined {
    if (this.#shown.size === 0) return undefined;
    if (!this.#encoded) {
      const bytes = encodeArtifact(this.#shown.list.map((d) => ({ ...d })));
      this.#encoded = { ref: { sha: sha256(bytes), size: bytes.byteLength, type: "displays" }, bytes };
    }
    const { ref, bytes } = this.#encoded;
    blobs.set(ref.sha, bytes);
    return ref;
  }
}

/**
 * Commits a running task's progress (its displays and logs so far) a little after it changes,
 * never after the task's final commit: `settle()` cancels what is pending and waits for what is
 * being written.
 */
export class LiveCommits {
  #timer?: NodeJS.Timeout;
  #writing: Promise<void> = Promise.resolve();
  #settled = false;

  constructor(
    private readonly store: Store,
    private readonly snapshot: () => TaskCommit,
  ) {}

  changed(): void {
    if (this.#settled || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#settled) return;
      // A failed progress write is not the task's failure: its final commit says what happened.
      this.#writing = this.#writing.then(() => this.store.commitTask(this.snapshot())).catch(() => undefined);
    }, LIVE_COMMIT_MS);
    this.#timer.unref?.();
  }

  async settle(): Promise<void> {
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#writing;
  }
}
