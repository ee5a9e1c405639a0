/** The client's not-found error; names what does exist nearby. */
export class ClientNotFoundError extends Error {
  readonly code = "NOT_FOUND";
  constructor(message: string) {
    super(message);
    this.name = "NotFoundError";
  }
}

export function nearby(kind: string, names: string[], limit = 10): string {
  if (names.length === 0) return `There are no ${kind} yet.`;
  const shown = names.slice(0, limit).join(", ");
  return `Existing ${kind}: ${shown}${names.length > limit ? `, … (${names.length} in all)` : ""}.`;
}
