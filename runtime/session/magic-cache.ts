import { UsageError } from "../../errors/index.js";
import { type Magic, ok } from "./magic.js";

const ON =
  "Task reuse is on: a step cell whose code, parents' artifacts, foreach item and options are unchanged reuses " +
  "an earlier task's results (shown again, marked as reused). %cache off runs every cell.";
const OFF = "Task reuse is off: every step cell runs (its tasks are still recorded for later reuse). %cache on reuses again.";

/** `%cache on|off`: whether re-running a cell, and %rerun, reuse unchanged tasks (on by default). */
export const cacheMagic: Magic = {
  name: "cache",
  usage: "%cache on|off",
  async run(ctx, args) {
    const arg = args.trim().toLowerCase();
    if (arg !== "" && arg !== "on" && arg !== "off") throw new UsageError(`%cache takes on or off (got "${args}")`);
    if (arg !== "") ctx.cache = arg === "on";
    return ok(ctx.cache ? ON : OFF);
  },
};
