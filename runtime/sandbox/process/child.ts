/**
 * The child process of a `process` step: full Node APIs. Reads artifacts straight from the store
 * (LMDB is multi-process), runs the step, sends the encoded artifacts back; the host commits.
 */
import { pathToFileURL } from "node:url";
import { encode, openStore, type Encoded } from "../../../store/index.js";
import { storeReader } from "../../../store/index.js";
import { displayBundle } from "../../display/index.js";
import { dieWithParent } from "./parent-watch.js";
import type { ChildMessage, ChildNotice, RunMessage } from "./protocol.js";

const watching = dieWithParent();

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));
}

/** Sent at once: a value that cannot be cloned throws in the step's own code. */
function notify(notice: ChildNotice): void {
  process.send!(notice);
}

/** Resolves once everything written to the stream so far has reached the pipe (writes complete in order). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write("", () => resolve());
  });
}

async function exit(): Promise<never> {
  // process.exit drops writes still queued for the pipes: what the step printed last would be lost.
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(0);
}

process.once("message", async (message: RunMessage) => {
  await watching;
  const store = openStore(message.storeRoot);
  const artifacts: [string, Encoded][] = [];
  const reader = storeReader(store);
  globalThis.__steplabHost = {
    loadBlob: reader.loadBlob,
    emit: (name, value, table) => void artifacts.push([name, encode(value, table)]),
    log: (stream, args) => (stream === "stdout" ? console.log(...args) : console.error(...args)),
    reader,
    // What the step shows goes to the host (a notebook cell's output, a task's card). Made into a
    // bundle here, so a display the step got wrong throws in the step's own code.
    display: (kind, data, options) => notify({ type: "display", bundle: displayBundle(kind, data), options }),
    result: (value) => notify({ type: "value", value }),
  };
  // Nothing left to do while the step's promise is pending: nothing can settle it any more.
  const stalled = () => void send({ type: "stalled" }).then(exit);
  process.once("beforeExit", stalled);
  try {
    const mod = await import(pathToFileURL(message.bundlePath).href);
    const cls = mod[message.flowClassName];
    if (typeof cls !== "function") throw new Error(`The flow file does not export the class ${message.flowClassName}`);
    const outcome = await globalThis.__steplabGuest!.runStep(cls, message.request);
    process.off("beforeExit", stalled);
    if (outcome.failure) await send({ type: "error", ...outcome.failure, artifacts });
    else await send({ type: "result", outcome, artifacts });
  } catch (err) {
    process.off("beforeExit", stalled);
    const e = err instanceof Error ? err : new Error(String(err));
    await send({ type: "error", name: e.name, message: e.message, stack: e.stack, code: (e as { code?: string }).code, artifacts });
  } finally {
    await store.close();
    await exit();
  }
});
