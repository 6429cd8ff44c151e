/**
 * Keeps one object of each shape that the request path makes by the million and drops at
 * once, from object literals with computed keys, alive for the life of the process:
 *  - the "fake promises" of `@whatwg-node/promise-helpers`, in both of its module instances
 *    (yoga, envelop and whatwg-node's server load its ESM build; whatwg-node's node-fetch,
 *    which reads the request body, its CommonJS one). Those libraries call its
 *    `handleMaybePromise` and `iterateAsync` once per plugin hook, dozens of times a request;
 *  - Node's own tick object, one per `process.nextTick` (streams and http call it several
 *    times a request).
 *
 * Why: such an object's map hangs off a weak transition, so when none is alive a full GC may
 * free it: V8's memory reducer does when the process idles (as a dashboard's backend does
 * between page loads), a low-memory notification always does, an ordinary full GC does while
 * the code is young. The optimized code that embeds the map is thrown away ("embedded weak
 * objects cleared"), and what V8 compiles next stays slow for good. Measured
 * (bench/results/fake-promise-after-gc.md), ns a call after the inspector's collectGarbage:
 * `handleMaybePromise` ~295 against 38 with the shapes held, `process.nextTick` ~378 against
 * 58. In the gateway `fakePromise` went from ~0.1 % to 8–9 % of the busy time and `nextTick`
 * from 0.25 % to 2–3 %, for the rest of the process's life. An object holds its map, and a
 * map its parents, so one object of each shape is enough.
 *
 * A newer promise-helpers (2.x) answers synchronous values without fake promises, but yoga
 * 5.24 and envelop 5.6 require 1.x (they re-export its `mapMaybePromise`, which 2.x dropped).
 * It is a dependency of ours at the exact version they resolve, so npm keeps one copy for all
 * (test/server/held-shapes.test.ts fails if a library gets its own).
 */
import { createHook } from 'node:async_hooks';
import { createRequire } from 'node:module';
import * as esm from '@whatwg-node/promise-helpers';

type Helpers = typeof esm;

const cjs = createRequire(import.meta.url)('@whatwg-node/promise-helpers') as Helpers;

function promiseShapesOf(helpers: Helpers): readonly unknown[] {
  return Object.freeze([
    // Resolved with an object, a number and undefined: the field that holds the value is made
    // general here, as requests would make it (the test checks the maps match theirs).
    helpers.fakePromise({}),
    helpers.fakePromise(0),
    helpers.fakePromise(undefined),
    // biome-ignore lint/suspicious/noThenProperty: a thenable that is no Promise is what makes this shape
    helpers.fakePromise({ then: (resolve: (value: unknown) => unknown) => resolve(undefined) }),
    helpers.fakeRejectPromise(new Error('held rejected shape')),
  ]);
}

/**
 * Two of Node's tick objects (without and with arguments), read from an async hook's `init`
 * for the two calls only: the hook is off again before this returns, so no later tick pays
 * for it. The callbacks run once, on the next tick, and do nothing.
 */
export function captureTickObjects(): readonly object[] {
  const captured: object[] = [];
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === 'TickObject') captured.push(resource as object);
    },
  });
  hook.enable();
  try {
    process.nextTick(() => undefined);
    process.nextTick((_: unknown) => undefined, 0);
  } finally {
    hook.disable();
  }
  return Object.freeze(captured);
}

/** The module instances, ESM then CommonJS (the test checks the libraries share them). */
export const heldPromiseHelpers: readonly Helpers[] = [esm, cjs];
/** The held fake promises, per instance; exported so that they stay reachable, and for the test. */
export const heldPromiseShapes: readonly (readonly unknown[])[] = heldPromiseHelpers.map(promiseShapesOf);
/** The held tick objects. */
export const heldTickObjects: readonly object[] = captureTickObjects();
