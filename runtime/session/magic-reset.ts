import { UsageError } from "../../errors/index.js";
import { type Magic, ok } from "./magic.js";

/** `%reset`: the notebook's graph starts afresh (setup and parameters cells stay); old runs stay in the store. */
export const resetMagic: Magic = {
  name: "reset",
  usage: "%reset",
  async run(ctx, args) {
    if (args !== "") throw new UsageError("%reset takes no arguments: it empties the graph; the next step cell starts a new run");
    return ok(await ctx.reset());
  },
};
