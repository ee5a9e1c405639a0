/**
 * A kernel ends with the process that started it, as ipykernel does: Jupyter puts that process's
 * pid in JPY_PARENT_PID, and a kernel whose client was killed (a closed terminal, kill -9) would
 * otherwise live on, holding its memory. Checked once a second; the timer does not keep the
 * process alive by itself.
 */
const POLL_MS = 1000;

/** True while process `pid` exists (a process we may not signal exists too). */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Calls `onGone` once when the parent named by JPY_PARENT_PID is gone: it no longer exists, or
 * it was our parent and we have been handed to another (the parent died, even if a zombie is left).
 * Returns the function that stops watching; does nothing without a usable pid.
 */
export function watchParent(env: NodeJS.ProcessEnv, onGone: () => void): () => void {
  const pid = Number(env.JPY_PARENT_PID);
  if (!Number.isInteger(pid) || pid <= 1) return () => {};
  const wasOurParent = process.ppid === pid;
  const timer = setInterval(() => {
    if ((wasOurParent && process.ppid !== pid) || !exists(pid)) {
      clearInterval(timer);
      onGone();
    }
  }, POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
