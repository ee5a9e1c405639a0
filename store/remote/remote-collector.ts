/** The gc protocol (store/collector.ts) over a remote datastore: each call goes to the I/O thread (bridge-gc.ts). */
import { GcBusyError } from "../collector-errors.js";
import type { GcOwner, PendingBlob, RunKey, StoreCollector, SweepResult, TaskReferences } from "../collector.js";
import type { SyncBridge } from "./sync-bridge.js";

export class RemoteCollector implements StoreCollector {
  readonly kind = "remote";

  #children: Map<string, string[]> | undefined;

  constructor(private readonly bridge: SyncBridge) {}

  taskReferences(): TaskReferences[] {
    return this.bridge.callSync("gcTaskReferences");
  }

  blobShas(): string[] {
    return this.bridge.callSync("gcBlobShas");
  }

  storedSizes(shas: Iterable<string>): Map<string, number> {
    const list = [...shas];
    if (list.length === 0) return new Map();
    return new Map(this.bridge.callSync<[string, number][]>("gcStoredSizes", [list]));
  }

  /** Read from the index once per collection (the mark asks for every live blob), never from S3. */
  childBlobs(sha: string): string[] {
    this.#children ??= new Map(this.bridge.callSync<[string, string[]][]>("gcBlobChildren"));
    return this.#children.get(sha) ?? [];
  }

  pendingBlobs(): PendingBlob[] {
    return this.bridge.callSync("gcPendingBlobs");
  }

  async acquireLease(owner: GcOwner): Promise<void> {
    const holder = await this.bridge.call<string | undefined>("gcAcquireLease", [owner]);
    if (holder) throw new GcBusyError(holder);
  }

  releaseLease(): Promise<void> {
    return this.bridge.call("gcReleaseLease");
  }

  deleteRuns(runs: RunKey[]): Promise<number> {
    return this.bridge.call("gcDeleteRuns", [runs]);
  }

  async sweep(candidates: string[], forget: string[], protect: (pinned: Set<string>) => Set<string>): Promise<SweepResult> {
    // From here until gcSweep returns, commits to this datastore wait (the sweep lock).
    const pinned = await this.bridge.call<string[]>("gcLockForSweep");
    const keep = protect(new Set(pinned));
    const doomed = candidates.filter((sha) => !keep.has(sha));
    const result = await this.bridge.call<Omit<SweepResult, "sizes"> & { sizes: [string, number][] }>("gcSweep", [
      doomed,
      forget.filter((sha) => !keep.has(sha)),
    ]);
    return { ...result, sizes: new Map(result.sizes), pinned: candidates.length - doomed.length };
  }
}
