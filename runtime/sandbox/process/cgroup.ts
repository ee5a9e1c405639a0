/**
 * A memory cgroup of its own for a `process` step's child, where the machine lets this process make
 * one: below its own cgroup (v1 memory controller, or v2 when memory is delegated to it), so the
 * kernel bounds everything the child maps (Buffers, native modules), not only V8's heap, and kills
 * it on overrun. Elsewhere (no cgroup file system, not root, v2 without delegation) there is none.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import path from "node:path";

interface OwnCgroup {
  version: 1 | 2;
  /** The directory of this process's memory cgroup: children go below it. */
  dir: string;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** Where this process's memory cgroup is mounted, from /proc/self/cgroup and /proc/self/mountinfo. */
function findOwnCgroup(): OwnCgroup | undefined {
  const membership = read("/proc/self/cgroup");
  const mounts = read("/proc/self/mountinfo");
  if (!membership || !mounts) return undefined;
  const mountFor = (fstype: string, option?: string) => {
    for (const line of mounts.split("\n")) {
      // id parent major:minor root mountpoint options ... - fstype source superoptions
      const [left, right] = line.split(" - ");
      const [type, , superOptions = ""] = right?.split(" ") ?? [];
      const fields = left?.split(" ") ?? [];
      if (type !== fstype || fields.length < 5) continue;
      if (option && !superOptions.split(",").includes(option)) continue;
      return { root: fields[3]!, mountpoint: fields[4]! };
    }
    return undefined;
  };
  const under = (mount: { root: string; mountpoint: string }, own: string) =>
    path.join(mount.mountpoint, mount.root === "/" ? own : path.relative(mount.root, own));
  for (const line of membership.split("\n")) {
    const [, controllers, own] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (own === undefined) continue;
    if (controllers!.split(",").includes("memory")) {
      const mount = mountFor("cgroup", "memory");
      if (mount) return { version: 1, dir: under(mount, own) };
    }
  }
  const unified = /^0::(.*)$/m.exec(membership)?.[1];
  const mount = mountFor("cgroup2");
  if (unified !== undefined && mount) return { version: 2, dir: under(mount, unified) };
  return undefined;
}

let own: OwnCgroup | undefined | null = null;

function ownCgroup(): OwnCgroup | undefined {
  if (own === null) {
    own = process.platform === "linux" ? findOwnCgroup() : undefined;
    if (own) removeStale(own.dir);
  }
  return own;
}

const PREFIX = "steplab-";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Cgroups left by a steplab process that was killed before it could remove them (empty by now). */
function removeStale(dir: string): void {
  try {
    for (const name of readdirSync(dir)) {
      const owner = Number(/^steplab-(\d+)-\d+$/.exec(name)?.[1]);
      if (owner && owner !== process.pid && !alive(owner)) {
        try {
          rmdirSync(path.join(dir, name));
        } catch {
          // still has processes in it: leave it
        }
      }
    }
  } catch {
    // not readable: nothing of ours there
  }
}

let created = 0;

export class MemoryCgroup {
  private constructor(
    readonly dir: string,
    private readonly version: 1 | 2,
  ) {}

  /** A new cgroup limited to `bytes`, or undefined where this machine offers none to this process. */
  static create(bytes: number): MemoryCgroup | undefined {
    const parent = ownCgroup();
    if (!parent) return undefined;
    const dir = path.join(parent.dir, `${PREFIX}${process.pid}-${++created}`);
    try {
      if (parent.version === 2) enableMemoryController(parent.dir);
      mkdirSync(dir);
    } catch {
      own = undefined; // not allowed here: do not try again in this process
      return undefined;
    }
    const cgroup = new MemoryCgroup(dir, parent.version);
    try {
      if (parent.version === 1) {
        writeFileSync(path.join(dir, "memory.limit_in_bytes"), String(bytes));
        // With swap accounting, swap must not extend the bound either (must follow the line above).
        cgroup.tryWrite("memory.memsw.limit_in_bytes", String(bytes));
      } else {
        writeFileSync(path.join(dir, "memory.max"), String(bytes));
        cgroup.tryWrite("memory.swap.max", "0");
      }
    } catch {
      cgroup.remove();
      own = undefined;
      return undefined;
    }
    return cgroup;
  }

  private tryWrite(file: string, value: string): void {
    try {
      if (existsSync(path.join(this.dir, file))) writeFileSync(path.join(this.dir, file), value);
    } catch {
      // optional
    }
  }

  /** Moves a process into the cgroup; false if the kernel refused. */
  add(pid: number): boolean {
    try {
      writeFileSync(path.join(this.dir, "cgroup.procs"), String(pid));
      return true;
    } catch {
      return false;
    }
  }

  /** Whether the kernel's OOM killer stopped a process of this cgroup. */
  oomKilled(): boolean {
    const text = read(path.join(this.dir, this.version === 1 ? "memory.oom_control" : "memory.events")) ?? "";
    const kills = Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
    if (kills > 0) return true;
    // Kernels before 4.13 have no oom_kill count in v1: the limit was hit at least.
    return this.version === 1 && !/^oom_kill /m.test(text) && Number(read(path.join(this.dir, "memory.failcnt")) ?? 0) > 0;
  }

  /** Removes the cgroup once its processes are gone (the kernel needs a moment after a kill). */
  remove(attempts = 20): void {
    try {
      rmdirSync(this.dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EBUSY" && attempts > 0) setTimeout(() => this.remove(attempts - 1), 50).unref();
    }
  }
}

/** cgroup v2: children get a memory controller only when the parent delegates it. */
function enableMemoryController(dir: string): void {
  const enabled = read(path.join(dir, "cgroup.subtree_control")) ?? "";
  if (enabled.split(/\s+/).includes("memory")) return;
  writeFileSync(path.join(dir, "cgroup.subtree_control"), "+memory");
}
