/** Where a command writes; the real process or a test's buffers. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Colour and other TTY niceties. */
  isTTY: boolean;
}

/**
 * A reader that stops early (`logs … | head`) closes the pipe: the rest of the output has nowhere
 * to go, and the command ends quietly, as Unix tools do, instead of with an EPIPE stack.
 */
function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  if (stream.listenerCount("error") > 0) return;
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
}

let strayCommitsIgnored = false;

/**
 * When a commit fails (a full disk), lmdb-js rejects internal copies of its promise that nobody
 * holds; the failure itself reaches steplab through the write it awaits and is reported there.
 * Anything else unhandled still ends the command, as Node's default does.
 */
function ignoreStrayCommitRejections(): void {
  if (strayCommitsIgnored) return;
  strayCommitsIgnored = true;
  process.on("unhandledRejection", (reason) => {
    // lmdb-js marks them with the commitError it keeps beside "Commit failed".
    if (reason instanceof Error && "commitError" in reason) return;
    throw reason;
  });
}

export function processIO(): CliIO {
  endQuietlyOnClosedPipe(process.stdout);
  endQuietlyOnClosedPipe(process.stderr);
  ignoreStrayCommitRejections();
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stdout.isTTY),
  };
}

/** Exit codes (SPEC §2). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
