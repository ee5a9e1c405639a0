/**
 * A `process` step's child dies with its parent, however the parent ends (kill -9 included): a
 * thread of its own notices that the child was handed to another parent and kills the process,
 * even while the step's code keeps the main thread busy. (Node has no PR_SET_PDEATHSIG.)
 */
import { Worker } from "node:worker_threads";

const CHECK_MS = 250;

const WATCH = `
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, "SIGKILL");
}, ${CHECK_MS});
`;

export function dieWithParent(): void {
  const watcher = new Worker(WATCH, { eval: true });
  // The watch never keeps the child alive by itself.
  watcher.unref();
}
