import { type Magic, ok } from "./magic.js";

/**
 * `%stale`: the steps whose newest task is not up to date, and why; then what %rerun will do with
 * each: reuse it (code and inputs unchanged), re-run it, or re-run it unless its parents' results
 * come out unchanged.
 */
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
    if (parts.length === 0) return ok("No stale steps.");
    const verdicts = [...(await ctx.rerunVerdicts())];
    const having = (v: string) => verdicts.filter(([, verdict]) => verdict === v).map(([name]) => name);
    const [reuse, run, after] = [having("reuse"), having("run"), having("after parents")];
    if (reuse.length) parts.push(`Will reuse (code and inputs unchanged): ${reuse.join(", ")}`);
    if (run.length) parts.push(`Will re-run${ctx.cache ? "" : " (task reuse is off: %cache on)"}: ${run.join(", ")}`);
    if (after.length) parts.push(`Will re-run unless their parents' results come out unchanged: ${after.join(", ")}`);
    return ok(`${parts.join("\n")}\n(%rerun runs them in order)`);
  },
};
