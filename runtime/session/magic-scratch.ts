import { UsageError } from "../../errors/index.js";
import { type Magic, ok } from "./magic.js";

/**
 * `%scratch on`: from here on, a cell without a `//% step` (or `prev`/`foreach`) directive is
 * scratch, as if it said `//% skip`; `%scratch off` makes such cells steps again.
 */
export const scratchMagic: Magic = {
  name: "scratch",
  usage: "%scratch on|off",
  async run(ctx, args) {
    const arg = args.trim().toLowerCase();
    if (arg !== "" && arg !== "on" && arg !== "off") throw new UsageError(`%scratch takes on or off (got "${args}")`);
    ctx.scratch = arg !== "off";
    return ok(
      ctx.scratch
        ? "Scratch mode: cells without //% step are scratch (no step, no task) until %scratch off."
        : "Cells without directives are steps again.",
    );
  },
};
