/**
 * `@step({ isolation: "process" })`: the task runs in a child Node process with every Node API and
 * native module. Its stdout/stderr are the task's logs; its exit is the task's end.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import type { FlowBundle } from "../../bundle/index.js";
import { displayLine } from "../../display/index.js";
import {
  TaskCrashedError,
  TaskInterruptedError,
  TaskMemoryError,
  TaskTimeoutError,
  UserCodeError,
  withPartialArtifacts,
} from "../errors.js";
import { rebuildUserError } from "../rebuild-error.js";
import { StackMapper } from "../stack.js";
import type { Sandbox, TaskIO, TaskLimits, TaskRequest, TaskResult } from "../types.js";
import { childScript } from "./child-script.js";
import type { ChildMessage, ChildNotice, RunMessage } from "./protocol.js";

export class ProcessSandbox implements Sandbox {
  readonly kind = "process" as const;
  private readonly children = new Set<ChildProcess>();
  private bundlePath?: string;
  private readonly mapper: StackMapper;

  constructor(
    private readonly bundle: FlowBundle,
    private readonly flowClassName: string,
    private readonly storeRoot: string,
  ) {
    this.mapper = new StackMapper(bundle.filename);
  }

  private writeBundle(): string {
    if (!this.bundlePath) {
      const hash = createHash("sha256").update(this.bundle.code).digest("hex").slice(0, 16);
      const dir = path.join(os.tmpdir(), "steplab-bundles");
      mkdirSync(dir, { recursive: true });
      this.bundlePath = path.join(dir, `${path.basename(this.bundle.filename, ".mjs")}-${hash}.mjs`);
      writeFileSync(this.bundlePath, this.bundle.code);
    }
    return this.bundlePath;
  }

  async runTask(request: TaskRequest, io: TaskIO, limits: TaskLimits = {}): Promise<TaskResult> {
    const script = await childScript();
    const execArgv = ["--enable-source-maps", "--no-node-snapshot"];
    if (limits.memoryMb) execArgv.push(`--max-old-space-size=${limits.memoryMb}`);
    const child = fork(script, [], { execArgv, serialization: "advanced", stdio: ["ignore", "pipe", "pipe", "ipc"] });
    this.children.add(child);
    if (child.pid) io.started?.(child.pid);
    child.stdout!.setEncoding("utf8").on("data", (text: string) => io.output("stdout", text));
    child.stderr!.setEncoding("utf8").on("data", (text: string) => io.output("stderr", text));
    let stopped: "interrupt" | "timeout" | undefined;
    const watchdog = limits.timeoutSeconds
      ? setTimeout(() => {
          stopped = "timeout";
          child.kill("SIGKILL");
        }, limits.timeoutSeconds * 1000)
      : undefined;
    (child as ChildProcess & { stopWith?: (r: "interrupt") => void }).stopWith = (r) => {
      stopped = r;
      child.kill("SIGKILL");
    };
    try {
      const reply = await new Promise<ChildMessage>((resolve, reject) => {
        let answer: ChildMessage | undefined;
        child.on("message", (m: ChildMessage | ChildNotice) => {
          if (m.type === "display") {
            if (io.display) io.display("bundle", m.bundle, m.options);
            else io.output("stdout", displayLine(m.bundle));
          } else if (m.type === "value") io.result?.(m.value);
          else answer = m;
        });
        child.on("error", reject);
        child.on("exit", (code, signal) => {
          if (answer) resolve(answer);
          else reject(Object.assign(new Error(`exited with ${signal ?? `code ${code}`}`), { signal, exitCode: code }));
        });
        const run: RunMessage = {
          type: "run",
          bundlePath: this.writeBundle(),
          flowClassName: this.flowClassName,
          storeRoot: this.storeRoot,
          request,
        };
        child.send(run);
      });
      if (reply.type === "error") {
        const mapped = this.mapper.format(reply.name, reply.message, reply.stack);
        throw withPartialArtifacts(new UserCodeError(reply.name, reply.message, mapped, reply.code), new Map(reply.artifacts));
      }
      if (reply.outcome.value) io.result?.(reply.outcome.value.primitive);
      return {
        outcome: reply.outcome,
        artifacts: new Map(reply.artifacts.map(([n, b]) => [n, b])),
        pid: child.pid ?? 0,
      };
    } catch (err) {
      if (stopped === "interrupt") throw new TaskInterruptedError(request.step);
      if (stopped === "timeout") throw new TaskTimeoutError(request.step, limits.timeoutSeconds ?? 0);
      if (err instanceof UserCodeError) throw err;
      const e = err as { exitCode?: number; signal?: string; message: string };
      if (limits.memoryMb && (e.exitCode === 134 || e.signal === "SIGABRT")) throw new TaskMemoryError(request.step, limits.memoryMb);
      if (e.exitCode !== undefined || e.signal) throw new TaskCrashedError(request.step, e.message);
      throw rebuildUserError(new Error(`The process running step '${request.step}' ${e.message}`), this.mapper);
    } finally {
      clearTimeout(watchdog);
      this.children.delete(child);
    }
  }

  interrupt(): void {
    for (const child of this.children) (child as ChildProcess & { stopWith?: (r: "interrupt") => void }).stopWith?.("interrupt");
  }

  async dispose(): Promise<void> {
    for (const child of this.children) child.kill("SIGKILL");
  }
}
