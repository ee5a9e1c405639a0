/** `%card [PATHSPEC]`: a task's card inline (runtime/cards), also written as a page a browser can open. */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { UsageError } from "../../errors/index.js";
import { taskPathspec, type TaskPlace } from "../../store/index.js";
import { cardFragment, cardPage, findTask } from "../cards/index.js";
import type { MimeBundle, SessionState } from "./types.js";
import type { Magic, MagicContext } from "./magic.js";

/** `%card` names a task: Flow/run/step/task, a step of this notebook (its latest task), or nothing (the step run last). */
function placeOf(state: SessionState, args: string): TaskPlace {
  const parts = args.split("/").filter(Boolean);
  if (parts.length === 4) return { flow: parts[0]!, runId: parts[1]!, step: parts[2]!, taskId: parts[3]! };
  const step = parts.length === 1 ? parts[0]! : parts.length === 0 ? state.currentStep : undefined;
  if (step === undefined || parts.length > 1)
    throw new UsageError(
      "%card takes a task: %card Flow/run/step/task, %card STEP (its latest task in this notebook), or %card alone (the step run last)",
    );
  const taskId = state.steps
    .find((s) => s.name === step)
    ?.taskId?.split(",")
    .at(-1);
  if (!state.runId || !taskId)
    throw new UsageError(`Step ${step} has not run in this notebook: run its cell first, or name a task as Flow/run/step/task`);
  return { flow: state.flow, runId: state.runId, step, taskId };
}

function cardBundle(ctx: MagicContext, args: string): MimeBundle {
  const place = placeOf(ctx.state, args);
  const reader = ctx.storeReader;
  const task = findTask(reader, place);
  // Also as a page on disk: the terminal REPL cannot show HTML, a browser can.
  const dir = path.join(os.tmpdir(), "steplab-cards");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${[task.flow, task.runId, task.step, task.taskId].join("_")}.html`);
  writeFileSync(file, cardPage(reader, place));
  const artifacts = Object.keys(task.artifacts).length;
  return {
    "text/plain": `Card of ${taskPathspec(task)} (${task.status}, ${artifacts} artifact${artifacts === 1 ? "" : "s"}): ${file}`,
    "text/html": cardFragment(reader, place),
  };
}

export const cardMagic: Magic = {
  name: "card",
  usage: "%card [PATHSPEC]",
  run: async (ctx, args) => ({ status: "ok", result: cardBundle(ctx, args) }),
};
