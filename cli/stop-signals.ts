/**
 * Ctrl-C, `kill` and a closed terminal stop a run cleanly: the first SIGINT, SIGTERM or SIGHUP
 * interrupts the run's tasks (process steps' children are killed) and the run is recorded as
 * killed; a second one exits at once.
 */
import { constants } from "node:os";
import type { CliIO } from "./io.js";

const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

export interface StopSignals {
  /** Aborted, with the signal's name as reason, when the first stop signal comes. */
  signal: AbortSignal;
  /** The exit code a run stopped this way ends with (128 + the signal's number), or undefined. */
  exitCode(): number | undefined;
  dispose(): void;
}

export function stopOnSignals(io: CliIO): StopSignals {
  const controller = new AbortController();
  const handlers = STOP_SIGNALS.map((name) => {
    const handler = () => {
      if (controller.signal.aborted) {
        io.stderr(`\n${name} again: exiting now.\n`);
        process.exit(128 + constants.signals[name]);
      }
      io.stderr(`\n${name}: stopping the run's tasks (send it again to exit at once)...\n`);
      controller.abort(name);
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    exitCode: () => {
      const reason: unknown = controller.signal.reason;
      return controller.signal.aborted && typeof reason === "string" ? 128 + constants.signals[reason as NodeJS.Signals] : undefined;
    },
    dispose: () => {
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}
