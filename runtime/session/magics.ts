/**
 * The session's magics, one file each (magic-NAME.ts). To add one: write a `Magic` in magic-NAME.ts and list it
 * here. (%save, %run, %runall and %explore belong to the REPL, which handles them before a cell
 * reaches the session.)
 */
import { UsageError } from "../../errors/index.js";
import type { ExecuteOptions, ExecuteOutcome } from "./types.js";
import { cacheMagic } from "./magic-cache.js";
import { cardMagic } from "./magic-card.js";
import { dagMagic } from "./magic-dag.js";
import { exportMagic } from "./magic-export.js";
import { flowMagic } from "./magic-flow.js";
import { loadMagic } from "./magic-load.js";
import { rerunMagic } from "./magic-rerun.js";
import { resetMagic } from "./magic-reset.js";
import { rmMagic } from "./magic-rm.js";
import { runsMagic } from "./magic-runs.js";
import { scratchMagic } from "./magic-scratch.js";
import { staleMagic } from "./magic-stale.js";
import type { Magic, MagicContext } from "./magic.js";

export type { Magic, MagicContext, NotUpToDate } from "./magic.js";

export const MAGICS: readonly Magic[] = [
  flowMagic,
  dagMagic,
  staleMagic,
  rerunMagic,
  runsMagic,
  exportMagic,
  rmMagic,
  resetMagic,
  scratchMagic,
  cacheMagic,
  loadMagic,
  cardMagic,
];

/** How each magic is typed, for help and completion. */
export const MAGIC_USAGE: readonly string[] = MAGICS.map((m) => m.usage);

export function runMagic(ctx: MagicContext, magic: { name: string; args: string }, opts: ExecuteOptions): Promise<ExecuteOutcome> {
  const found = MAGICS.find((m) => m.name === magic.name);
  if (!found) throw new UsageError(`Unknown magic %${magic.name}. Magics: ${MAGIC_USAGE.join(", ")}`);
  return found.run(ctx, magic.args.trim(), opts);
}
