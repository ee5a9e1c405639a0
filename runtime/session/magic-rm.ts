import { UsageError } from "../../errors/index.js";
import { type Magic, ok } from "./magic.js";

/** `%rm 3` (the cell run as In [3]) or `%rm STEP`: takes cells out of the graph; their tasks stay in the run. */
export const rmMagic: Magic = {
  name: "rm",
  usage: "%rm N|STEP ...",
  async run(ctx, args) {
    const refs = args.split(/[\s,]+/).filter((a) => a !== "");
    if (refs.length === 0) {
      throw new UsageError(
        "%rm takes the cells to remove: their number as the front end shows it (%rm 3 for In [3]) or their step name (%rm cell_3)",
      );
    }
    return ok(await ctx.removeCells(refs));
  },
};
