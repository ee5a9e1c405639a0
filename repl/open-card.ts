/**
 * `o` in `%explore`: a task's card written as a page and opened in the browser when there is a
 * desktop to open it on (a terminal over SSH has none: the path is shown either way).
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { cardPage } from "../runtime/cards/index.js";
import type { StoreReader } from "../runtime/client/index.js";

export function cardsDir(): string {
  return path.join(os.tmpdir(), "steplab-cards");
}

/** The command that opens a file on this desktop, if there is one. */
function opener(env: NodeJS.ProcessEnv): string | undefined {
  if (env.STEPLAB_NO_BROWSER) return undefined;
  if (process.platform === "darwin") return "open";
  if (process.platform === "win32") return "explorer";
  return env.DISPLAY || env.WAYLAND_DISPLAY ? "xdg-open" : undefined;
}

/** Writes the task's card; returns its path and whether a browser was asked to open it. */
export function openCard(reader: StoreReader, place: { flow: string; runId: string; step: string; taskId: string }, env = process.env) {
  const dir = cardsDir();
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${[place.flow, place.runId, place.step, place.taskId].join("_")}.html`);
  writeFileSync(file, cardPage(reader, place));
  const command = opener(env);
  if (command) {
    const child = spawn(command, [file], { detached: true, stdio: "ignore" });
    child.on("error", () => undefined);
    child.unref();
  }
  return { file, opened: command !== undefined };
}
