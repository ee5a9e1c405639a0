/** The client's not-found error; names what does exist nearby. */
import { NotFoundError } from "../../errors/index.js";

export class ClientNotFoundError extends NotFoundError {
  constructor(message: string) {
    super(message);
    // One name for every missing pathspec, whichever object raised it (Metaflow's MetaflowNotFound).
    this.name = "NotFoundError";
  }
}

export function nearby(kind: string, names: string[], limit = 10): string {
  if (names.length === 0) return `There are no ${kind} yet.`;
  const shown = names.slice(0, limit).join(", ");
  return `Existing ${kind}: ${shown}${names.length > limit ? `, … (${names.length} in all)` : ""}.`;
}
