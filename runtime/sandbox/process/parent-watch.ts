/**
 * A `process` step's child dies with its parent, however the parent ends (kill -9 included): a
 * thread of its own notices that the child was handed to another parent and kills the process,
 * even while the step's code keeps the main thread busy. (Node has no PR_SET_PDEATHSIG.)
 */
import { Worker } from "node:worker_threads";

const CHECK_MS = 250;

const WATCH = `
const { workerData } = require("node:worker_threads");
const check = () => { if (process.ppid !== workerData.parent) process.kill(process.pid, "SIGKILL"); };
check();
setInterval(check, ${CHECK_MS});
`;

/**
 * Starts the watch; resolves once it runs. A worker starts only when the main thread's event loop
 * lets it, so the step must not begin (and maybe never yield) before then.
 */
export function dieWithParent(): Promise<void> {
  const watcher = new Worker(WATCH, { eval: true, workerData: { parent: process.ppid } });
  return new Promise((resolve) => {
    // Once it runs, the watch never keeps the child alive by itself.
    watcher.once("online", () => {
      watcher.unref();
      resolve();
    });
    watcher.once("error", () => resolve());
  });
}
