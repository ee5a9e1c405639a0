/**
 * The parameter type a value has (a default's, once known). Here, not in runtime/graph, so that a
 * run that needs it does not load the TypeScript compiler graph/ parses flow files with.
 */
export function typeOfValue(value: unknown): "Number" | "Boolean" | "String" | "JSONType" | undefined {
  if (typeof value === "number") return "Number";
  if (typeof value === "boolean") return "Boolean";
  if (typeof value === "string") return "String";
  if (typeof value === "object" && value !== null) return "JSONType";
  return undefined;
}
