import { inspect } from "node:util";
import { UsageError } from "../../errors/index.js";
import type { LoadedTask } from "./loaded-task.js";
import { type Magic, ok } from "./magic.js";

/** Artifact names listed when a task is loaded; the rest are counted. */
const NAMES_SHOWN = 20;

function short(value: unknown): string {
  const text = inspect(value, { depth: 1, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 60 });
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** What a loaded task gives scratch cells, in the user's terms. */
function describe(loaded: LoadedTask): string {
  const { task, foreach } = loaded;
  const error = task.error ? `: ${task.error.name}: ${task.error.message}` : "";
  const lines = [`Loaded ${loaded.pathspec} (${task.status}${error}).`];
  if (foreach)
    lines.push(`self.input = ${short(foreach.input)}, self.index = ${foreach.index} (of ${foreach.count} items of '${foreach.over}').`);
  if (loaded.isJoin)
    lines.push(`inputs: the ${loaded.inputs.length} tasks it joined (${[...new Set(loaded.inputs.map((t) => t.step))].join(", ")}).`);
  const names = Object.keys(loaded.initial);
  const listed = names.slice(0, NAMES_SHOWN).join(", ") + (names.length > NAMES_SHOWN ? `, … ${names.length - NAMES_SHOWN} more` : "");
  lines.push(`Scratch cells see its inputs as self (copies: nothing they set is stored): ${listed || "no artifacts"}.`);
  lines.push("Cells without a //% step directive are scratch until %load off.");
  return lines.join("\n");
}

/**
 * `%load PATHSPEC`: the following scratch cells see that past task's inputs as `self` (its foreach
 * item as `self.input`, a join's `inputs`), to debug it with its exact inputs; `%load off` ends it.
 */
export const loadMagic: Magic = {
  name: "load",
  usage: "%load FLOW/RUN/STEP/TASK|off",
  async run(ctx, args) {
    const arg = args.trim();
    if (arg === "") return ok(ctx.loadedTask ? describe(ctx.loadedTask) : "No task is loaded: %load FLOW/RUN/STEP/TASK loads one.");
    if (arg.toLowerCase() === "off") {
      const was = ctx.loadedTask;
      ctx.unloadTask();
      return ok(was ? `Unloaded ${was.pathspec}: scratch cells see the notebook's last step again.` : "No task was loaded.");
    }
    if (/\s/.test(arg)) throw new UsageError(`%load takes one task, FLOW/RUN/STEP/TASK, or off (got "${arg}")`);
    return ok(describe(ctx.loadTask(arg)));
  },
};
