import { UsageError } from "../../errors/index.js";
import { type Magic, ok } from "./magic.js";

/** `%export FLOW.ts`: the cells as a flow file that `steplab FLOW.ts run` runs. */
export const exportMagic: Magic = {
  name: "export",
  usage: "%export FLOW.ts",
  async run(ctx, args) {
    if (!args.endsWith(".ts")) throw new UsageError("%export takes the flow file to write, e.g. %export word_scores_flow.ts");
    const file = ctx.exportFlow(args);
    return ok(`Exported ${ctx.flow} to ${file}`);
  },
};
