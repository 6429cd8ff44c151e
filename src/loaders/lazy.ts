/**
 * A frozen object with an interface's methods that builds the real one on its first call.
 *
 * Why: every request's context offers writes and log reads (`ctx.write`, `ctx.logs`), each an
 * object of closures over the caller, but a query uses neither, and a subscription's context
 * lives as long as it does. Built eagerly, the two were 20 closures, their scopes and the
 * objects behind them on every request, and ~2 KiB of every live subscriber's heap until it
 * ends (`SNAPSHOT=FILE PATHS=ResultStream npx tsx bench/subscriber-memory.ts 2000 ws`). Here
 * they are one object each (the methods are on a prototype shared by all) and the builder's
 * closure; the real object is made, once per context, when a method is first called.
 *
 * `names` lists every method (the type checks it lists them all), so the facade offers
 * exactly the interface's.
 */
export function lazyMethods<T extends object>(
  names: { readonly [K in keyof T]: true },
): (make: () => T) => T {
  class Lazy {
    readonly #make: () => T;
    #made: T | undefined;

    constructor(make: () => T) {
      this.#make = make;
      // Frozen as the eager object was; a private field stays writable in a frozen object.
      Object.freeze(this);
    }

    static target(lazy: Lazy): Record<string, (...args: unknown[]) => unknown> {
      lazy.#made ??= lazy.#make();
      return lazy.#made as Record<string, (...args: unknown[]) => unknown>;
    }
  }
  for (const name of Object.keys(names)) {
    Object.defineProperty(Lazy.prototype, name, {
      value(this: Lazy, ...args: unknown[]) {
        return Lazy.target(this)[name](...args);
      },
    });
  }
  Object.freeze(Lazy.prototype);
  return (make) => new Lazy(make) as unknown as T;
}
