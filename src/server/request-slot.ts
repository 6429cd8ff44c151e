/**
 * A value kept per HTTP request (or per operation context) on that object itself, under a
 * symbol of the slot's own, rather than in a WeakMap keyed by it.
 *
 * Every request is a new key, and a WeakMap entry is an ephemeron the collector has to
 * trace: under a cluster-summary load (Q1, 10 connections) one `WeakMap.set` per request
 * in a plugin's `onRequest` took 0.6 % of all the gateway's samples, as much as the rest of
 * that plugin (`KUBEGATE_BENCH_CPU_PROF=DIR npx tsx bench/q1-ratio.ts S 6 10 Q2,Q3,Q4,Q5`,
 * `LAST_S=35 npx tsx bench/profile-top.ts`). A property is gone with its object all the same,
 * and is set in the same order on every request, so V8 keeps one shape for them.
 */
export interface RequestSlot<T> {
  get(owner: object): T | undefined;
  set(owner: object, value: T): void;
}

export function requestSlot<T>(name: string): RequestSlot<T> {
  const key = Symbol(name);
  return {
    get: (owner) => (owner as { [key]?: T })[key],
    set: (owner, value) => {
      (owner as { [key]?: T })[key] = value;
    },
  };
}
