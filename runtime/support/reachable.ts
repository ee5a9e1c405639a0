/**
 * The names reachable from `from` along `next`, `from` included: for a flow's steps or a notebook's.
 * A name that is not a step is kept, not followed. Here rather than in runtime/graph, whose parser
 * loads TypeScript (~0.5 s), because the scheduler needs it on every run.
 */
export function reachableFrom(steps: readonly { name: string; next: readonly string[] }[], from: string): Set<string> {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const seen = new Set<string>();
  const todo = [from];
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    todo.push(...(byName.get(name)?.next ?? []));
  }
  return seen;
}
