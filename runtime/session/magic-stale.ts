import { type Magic, ok } from "./magic.js";

/** `%stale`: the steps whose newest task is not up to date, and why. */
export const staleMagic: Magic = {
  name: "stale",
  usage: "%stale",
  async run(ctx) {
    const { stale, failed, notRun } = ctx.notUpToDate();
    const parts = [
      stale.length ? `Stale steps: ${stale.join(", ")}` : "",
      failed.length ? `Failed steps: ${failed.join(", ")}` : "",
      notRun.length ? `Steps not run yet: ${notRun.join(", ")}` : "",
    ].filter((p) => p !== "");
    return ok(parts.length ? `${parts.join("\n")}\n(%rerun runs them in order)` : "No stale steps.");
  },
};
