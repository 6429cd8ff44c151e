/** The plain JSON the scenario builds, and the freezing that lets pods share parts of it. */

export type Json = Record<string, unknown>;

/** The one empty object (`resources: {}`, `emptyDir: {}`, `securityContext: {}`...) every pod shares. */
export const EMPTY_OBJECT = Object.freeze({});

/**
 * Freezes `value` and everything under it. Already-frozen values are skipped without a
 * walk: they are shared parts that were frozen whole when they were built.
 */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
