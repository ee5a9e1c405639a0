/**
 * Metaflow users write `Flow("X")`, not `new Flow("X")`. A Proxy whose apply trap constructs keeps
 * both spellings and `instanceof` working.
 */
export type Callable<C extends abstract new (...args: any) => any> = C & ((...args: ConstructorParameters<C>) => InstanceType<C>);

export function callable<C extends new (...args: any) => any>(cls: C): Callable<C> {
  return new Proxy(cls, {
    apply: (target, _thisArg, args) => new target(...args),
  }) as Callable<C>;
}
