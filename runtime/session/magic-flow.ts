import { UsageError } from "../../errors/index.js";
import { type Magic, ok } from "./magic.js";

/** `%flow NAME`: the flow the notebook's run is recorded under. */
export const flowMagic: Magic = {
  name: "flow",
  usage: "%flow NAME",
  async run(ctx, args) {
    if (!/^[A-Za-z_$][\w$]*$/.test(args)) throw new UsageError("%flow takes a class name, e.g. %flow WordScoresFlow");
    return ok(await ctx.setFlowName(args));
  },
};
