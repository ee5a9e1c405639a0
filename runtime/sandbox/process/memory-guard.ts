/**
 * `memoryMb` for a `process` step bounds the whole child, not only V8's heap (which
 * --max-old-space-size covers): Buffers, typed arrays and native modules allocate outside it.
 * A memory cgroup where the machine offers one (the kernel enforces it), else a watchdog that
 * samples the child's resident memory and kills it past the limit.
 */
import { createRequire } from "node:module";
import { MemoryCgroup } from "./cgroup.js";

/** pidusage, loaded by the first watchdog: most runs have no process step with memoryMb, and pay nothing. */
let pidusage: typeof import("pidusage") | undefined;
const loadPidusage = () => (pidusage ??= createRequire(import.meta.url)("pidusage") as typeof import("pidusage"));

export type MemoryGuardKind = "cgroup" | "watchdog";

export interface MemoryGuard {
  readonly kind: MemoryGuardKind;
  /** Whether the limit stopped the child (ask once it has exited). */
  tripped(): boolean;
  /** Stops watching; removes the cgroup. Call once the child has exited. */
  release(): void;
}

/** How often the watchdog samples: a child filling memory as fast as it can gains ~100 MB between samples. */
const SAMPLE_MS = 25;

class CgroupGuard implements MemoryGuard {
  readonly kind = "cgroup";
  constructor(private readonly cgroup: MemoryCgroup) {}
  tripped(): boolean {
    return this.cgroup.oomKilled();
  }
  release(): void {
    this.cgroup.remove();
  }
}

class RssWatchdog implements MemoryGuard {
  readonly kind = "watchdog";
  #tripped = false;
  #timer?: NodeJS.Timeout;
  #stopped = false;

  constructor(
    private readonly pid: number,
    private readonly bytes: number,
    private readonly kill: () => void,
  ) {
    this.#schedule();
  }

  #schedule(): void {
    if (!this.#stopped) this.#timer = setTimeout(() => this.#sample(), SAMPLE_MS);
  }

  #sample(): void {
    loadPidusage()(this.pid, (err, stats) => {
      if (this.#stopped) return;
      if (!err && stats.memory > this.bytes) {
        this.#tripped = true;
        this.kill();
        return;
      }
      // An error means the child is gone (or not yet visible): the exit handler ends the watch.
      this.#schedule();
    });
  }

  tripped(): boolean {
    return this.#tripped;
  }

  release(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}

/**
 * Bounds the child `pid` to `limitMb`. Call right after the fork, before the child runs the step.
 * `prefer: "watchdog"` skips the cgroup (tests of the fallback, machines where it misbehaves).
 */
export function guardMemory(pid: number, limitMb: number, kill: () => void, prefer: "auto" | MemoryGuardKind = "auto"): MemoryGuard {
  const bytes = Math.floor(limitMb * 1024 * 1024);
  if (prefer !== "watchdog") {
    const cgroup = MemoryCgroup.create(bytes);
    if (cgroup?.add(pid)) return new CgroupGuard(cgroup);
    cgroup?.remove();
  }
  return new RssWatchdog(pid, bytes, kill);
}
