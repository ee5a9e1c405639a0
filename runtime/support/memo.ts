/**
 * Memoizes a pure function of a string, keeping the latest `limit` results (the oldest goes
 * first). Notebook sessions re-read every cell after each run, but cells seldom change, so most
 * TypeScript parses of cell code are repeats.
 */
export function memoize<T>(fn: (key: string) => T, limit: number): (key: string) => T {
  const results = new Map<string, T>();
  return (key) => {
    if (results.has(key)) return results.get(key)!;
    const value = fn(key);
    if (results.size >= limit) results.delete(results.keys().next().value!);
    results.set(key, value);
    return value;
  };
}
