import { type Magic, ok } from "./magic.js";

/** `%rerun`: every step that is stale, failed or not run yet, parents first, each through its own cell. */
export const rerunMagic: Magic = {
  name: "rerun",
  usage: "%rerun",
  async run(ctx, _args, opts) {
    const before = ctx.notUpToDate();
    if (before.stale.length + before.failed.length + before.notRun.length === 0) return ok("No stale steps.");
    const { done, reused, error } = await ctx.rerun(opts.sink);
    if (error) return { status: "error", error };
    if (done.length === 0) return ok("No stale steps.");
    const ran = done.filter((s) => !reused.includes(s));
    const parts = [ran.length ? `Re-ran ${ran.join(", ")}` : "", reused.length ? `reused ${reused.join(", ")}` : ""].filter(Boolean);
    const said = parts.join("; ");
    return ok(`${said.charAt(0).toUpperCase()}${said.slice(1)}.`);
  },
};
