/**
 * `flow.runs` is the list of a flow's runs (SPEC §3: `runs.length`, `runs[0]`, `for..of`, `.map`)
 * and, as in Metaflow, `flow.runs("tag", ...)` returns those carrying every tag. One value does
 * both: a function that reads as the array it stands for.
 */
const INSPECT = Symbol.for("nodejs.util.inspect.custom");

export type CallableList<T> = readonly T[] & ((...tags: string[]) => T[]);

export function callableList<T>(items: T[], call: (...tags: string[]) => T[]): CallableList<T> {
  const target = Object.assign((..._tags: string[]) => items, {
    [INSPECT]: (_depth: number, options: object, inspect: (v: unknown, o: object) => string) => inspect(items, options),
  });
  return new Proxy(target, {
    apply: (_t, _this, args: string[]) => call(...args),
    get: (_t, key) => {
      if (key === INSPECT) return target[INSPECT];
      const value = Reflect.get(items, key, items);
      return typeof value === "function" ? value.bind(items) : value;
    },
    has: (_t, key) => key in items,
    ownKeys: () => Reflect.ownKeys(items),
    getOwnPropertyDescriptor: (_t, key) => {
      const d = Reflect.getOwnPropertyDescriptor(items, key);
      // Reported configurable: the function standing in for the array has no such fixed property.
      return d && { ...d, configurable: true };
    },
    set: () => false,
  }) as unknown as CallableList<T>;
}
