/**
 * `@step({ isolation: "process" })`: the task runs in a child Node process with every Node API and
 * native module. Its stdout/stderr are the task's logs; the task ends when the child has exited
 * and its output has been read to the end.
 */
import type { ChildProcess } from "node:child_process";
import type { FlowBundle } from "../../bundle/index.js";
import { displayLine } from "../../display/index.js";
import {
  TaskCrashedError,
  TaskInterruptedError,
  TaskMemoryError,
  TaskStalledError,
  TaskTimeoutError,
  UserCodeError,
  withPartialArtifacts,
} from "../errors.js";
import { StackMapper } from "../stack.js";
import type { Sandbox, TaskIO, TaskLimits, TaskRequest, TaskResult } from "../types.js";
import { writeBundleFile } from "./bundle-file.js";
import { childScript } from "./child-script.js";
import { guardMemory, type MemoryGuard, type MemoryGuardKind } from "./memory-guard.js";
import { OomTraceFilter } from "./oom-trace.js";
import type { ChildMessage, ChildNotice, RunMessage } from "./protocol.js";

/**
 * After the child exits, how long its output may take to reach the end. Longer only when a
 * process it started still holds the pipes; then the rest is dropped and the task goes on.
 */
const OUTPUT_GRACE_MS = 2000;

export interface ProcessSandboxOptions {
  /** How `memoryMb` is enforced: a cgroup where the machine offers one (auto), or the RSS watchdog. */
  memoryGuard?: "auto" | MemoryGuardKind;
}

interface ChildEnd {
  answer?: ChildMessage;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Resolves when the child has exited and its stdout and stderr have closed. */
function childEnd(child: ChildProcess, onNotice: (notice: ChildNotice) => void): Promise<ChildEnd> {
  return new Promise((resolve, reject) => {
    let answer: ChildMessage | undefined;
    let grace: NodeJS.Timeout | undefined;
    child.on("message", (m: ChildMessage | ChildNotice) => {
      if (m.type === "display" || m.type === "value") onNotice(m);
      else answer ??= m;
    });
    child.on("error", (err) => {
      if (child.pid === undefined) reject(err); // it never started; otherwise close follows
    });
    child.on("exit", () => {
      grace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, OUTPUT_GRACE_MS);
    });
    child.on("close", (code, signal) => {
      clearTimeout(grace);
      resolve({ answer, code, signal });
    });
  });
}

export class ProcessSandbox implements Sandbox {
  readonly kind = "process" as const;
  private readonly children = new Map<ChildProcess, (reason: "interrupt") => void>();
  private bundlePath?: string;
  private readonly mapper: StackMapper;

  constructor(
    private readonly bundle: FlowBundle,
    private readonly flowClassName: string,
    private readonly storeRoot: string,
    private readonly options: ProcessSandboxOptions = {},
  ) {
    this.mapper = new StackMapper(bundle.filename);
  }

  async runTask(request: TaskRequest, io: TaskIO, limits: TaskLimits = {}): Promise<TaskResult> {
    // Loaded here, not at the top: a flow with no process step never pays for child_process.
    const [script, { fork }] = await Promise.all([childScript(), import("node:child_process")]);
    this.bundlePath ??= writeBundleFile(this.bundle);
    const execArgv = ["--enable-source-maps", "--no-node-snapshot"];
    if (limits.memoryMb) execArgv.push(`--max-old-space-size=${limits.memoryMb}`);
    const child = fork(script, [], { execArgv, serialization: "advanced", stdio: ["ignore", "pipe", "pipe", "ipc"] });
    const kill = () => child.kill("SIGKILL");
    let stopped: "interrupt" | "timeout" | undefined;
    this.children.set(child, (reason) => {
      stopped = reason;
      kill();
    });
    // What the step displays reaches a notebook cell (or the task's record); a cell's value, the cell.
    const ended = childEnd(child, (notice) => {
      if (notice.type === "value") io.result?.(notice.value);
      else if (io.display) io.display("bundle", notice.bundle, notice.options);
      else io.output("stdout", displayLine(notice.bundle));
    });
    let guard: MemoryGuard | undefined;
    if (limits.memoryMb && child.pid) guard = guardMemory(child.pid, limits.memoryMb, kill, this.options.memoryGuard);
    if (child.pid) io.started?.(child.pid);
    const stderr = new OomTraceFilter((text) => io.output("stderr", text));
    child.stdout!.setEncoding("utf8").on("data", (text: string) => io.output("stdout", text));
    child.stderr!.setEncoding("utf8").on("data", (text: string) => stderr.push(text));
    child.stderr!.on("end", () => stderr.end());
    const watchdog = limits.timeoutSeconds
      ? setTimeout(() => {
          stopped = "timeout";
          kill();
        }, limits.timeoutSeconds * 1000)
      : undefined;
    try {
      const run: RunMessage = {
        type: "run",
        bundlePath: this.bundlePath,
        flowClassName: this.flowClassName,
        storeRoot: this.storeRoot,
        request,
      };
      // A child that is already gone (killed at once) reports through its end, not here.
      child.send(run, (err) => void err);
      const { answer, code, signal } = await ended;
      if (stopped === "interrupt") throw new TaskInterruptedError(request.step);
      if (stopped === "timeout") throw new TaskTimeoutError(request.step, limits.timeoutSeconds ?? 0);
      if (answer?.type === "result") {
        if (answer.outcome.value) io.result?.(answer.outcome.value.primitive);
        return { outcome: answer.outcome, artifacts: new Map(answer.artifacts), pid: child.pid ?? 0 };
      }
      if (answer?.type === "error") {
        const mapped = this.mapper.format(answer.name, answer.message, answer.stack);
        throw withPartialArtifacts(new UserCodeError(answer.name, answer.message, mapped, answer.code), new Map(answer.artifacts));
      }
      if (answer?.type === "stalled") throw new TaskStalledError(request.step);
      if (guard?.tripped() || stderr.sawTrace) throw new TaskMemoryError(request.step, limits.memoryMb);
      throw new TaskCrashedError(request.step, `exited with ${signal ?? `code ${code}`}`);
    } finally {
      clearTimeout(watchdog);
      guard?.release();
      this.children.delete(child);
    }
  }

  interrupt(): void {
    for (const stop of this.children.values()) stop("interrupt");
  }

  async dispose(): Promise<void> {
    for (const child of this.children.keys()) child.kill("SIGKILL");
  }
}
