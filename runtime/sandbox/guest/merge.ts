/**
 * mergeArtifacts decided on hashes alone: no artifact is loaded to compare it.
 */
import { StepUsageError } from "./errors.js";
import type { ArtifactShas, TaskInput } from "./request.js";

export function planMerge(
  step: string,
  inputs: TaskInput[],
  options: { include?: string[]; exclude?: string[] },
  alreadySet: Set<string>,
): ArtifactShas {
  const everyName = new Set(inputs.flatMap((i) => Object.keys(i.artifacts)));
  if (options.include) {
    const missing = options.include.filter((n) => !everyName.has(n));
    if (missing.length) {
      throw new StepUsageError(
        `mergeArtifacts() in step '${step}': ${missing.map((n) => `'${n}'`).join(", ")} not set in any input branch`,
      );
    }
  }
  const exclude = new Set(options.exclude ?? []);
  const candidates = options.include ? options.include : [...everyName].sort();
  const merged: ArtifactShas = {};
  const divergent: string[] = [];
  for (const name of candidates) {
    if (exclude.has(name) || alreadySet.has(name)) continue;
    const shas = new Set(inputs.map((i) => i.artifacts[name]).filter((s): s is string => s !== undefined));
    if (shas.size === 1) merged[name] = [...shas][0]!;
    else if (shas.size > 1) divergent.push(name);
  }
  if (divergent.length) {
    const names = divergent.map((n) => `'${n}'`).join(", ");
    throw new StepUsageError(
      `mergeArtifacts() in step '${step}': artifact${divergent.length > 1 ? "s" : ""} ${names} differ between the inputs. ` +
        `Set ${divergent.length > 1 ? "them" : "it"} in the join before calling mergeArtifacts(), or pass { exclude: [${divergent.map((n) => `"${n}"`).join(", ")}] }.`,
    );
  }
  return merged;
}
