/**
 * The options a step takes, wherever they are written: `@step({ memoryMb: 2048 })` in a flow file,
 * `//% step NAME memoryMb=2048` in a notebook cell. One list of keys and one set of rules, so a
 * value valid in one place is valid in the other.
 */
// store/portable: the rule for artifact names, without the datastore (LMDB) behind it.
import { artifactNameProblem } from "../../store/portable.js";
import type { StepOptions } from "./types.js";

export const STEP_OPTION_KEYS = ["isolation", "memoryMb", "timeoutSeconds", "retries", "catch", "cache"] as const;

export type StepOptionKey = (typeof STEP_OPTION_KEYS)[number];

/**
 * What an invalid value must be instead; `example` is a valid value the caller shows in its own
 * syntax, `why` what was wrong with the value given.
 */
export interface StepOptionProblem {
  must: string;
  example?: string | number | boolean;
  why?: string;
}

export function isStepOptionKey(key: string): key is StepOptionKey {
  return (STEP_OPTION_KEYS as readonly string[]).includes(key);
}

/** Why `value` is not a valid value of the option `key`; undefined when it is valid. */
export function stepOptionProblem(key: StepOptionKey, value: unknown): StepOptionProblem | undefined {
  switch (key) {
    case "isolation":
      return value === "isolate" || value === "process" ? undefined : { must: 'be "isolate" (the default) or "process"' };
    case "catch": {
      const why = typeof value === "string" ? artifactNameProblem(value) : "it is not a string";
      return why === undefined ? undefined : { must: "name the artifact that keeps the exception", example: "error", why };
    }
    case "cache":
      return typeof value === "boolean" ? undefined : { must: "be true or false" };
    case "retries":
      return typeof value === "number" && Number.isInteger(value) && value >= 0 ? undefined : { must: "be a whole number, 0 or more" };
    case "memoryMb":
    case "timeoutSeconds":
      return typeof value === "number" && value > 0 && Number.isFinite(value) ? undefined : { must: "be a positive number" };
  }
}

/** The valid options among `raw` (invalid ones are the lint's or the directive parser's to report). */
export function toStepOptions(raw: Record<string, unknown>): StepOptions {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (isStepOptionKey(key) && !stepOptionProblem(key, value)) out[key] = value;
  }
  return out as StepOptions;
}
