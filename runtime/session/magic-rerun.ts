import { type Magic, ok } from "./magic.js";

/** `%rerun`: every step that is stale, failed or not run yet, parents first, each through its own cell. */
export const rerunMagic: Magic = {
  name: "rerun",
  usage: "%rerun",
  async run(ctx, _args, opts) {
    const before = ctx.notUpToDate();
    if (before.stale.length + before.failed.length + before.notRun.length === 0) return ok("No stale steps.");
    const { done, error } = await ctx.rerun(opts.sink);
    if (error) return { status: "error", error };
    return ok(`Re-ran ${done.join(", ")}.`);
  },
};
