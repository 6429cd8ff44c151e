/**
 * Keeps one object of each shape `@whatwg-node/promise-helpers` makes alive for the life of
 * the process, in both of its module instances (yoga, envelop and whatwg-node's server load
 * its ESM build; whatwg-node's node-fetch, which parses the request body, its CommonJS one).
 *
 * Why: those libraries call its `handleMaybePromise` and `iterateAsync` once per plugin hook,
 * several dozen times a request, and each call makes short-lived "fake promise" objects from
 * object literals with computed keys. Their maps hang off weak transitions, so when no such
 * object is alive a full GC may free them: V8's memory reducer does when the process idles, a
 * low-memory notification always does, an ordinary full GC does while the helpers are young.
 * The optimized code that embeds them is then thrown away ("embedded weak objects cleared"),
 * and what V8 compiles next stays slow for good. Measured (bench/results/fake-promise-after-gc.md):
 * `handleMaybePromise` 38 ns a call before, ~295 ns after, in 7 of 8 runs of
 * `bench/fake-promise-gc.ts low-memory`; in the gateway `fakePromise` went from ~0.1 % to
 * 8–9 % of the busy time, 15–20 % more CPU per request, for the rest of the process's life.
 * With these objects held, 0 of 8 runs slowed, in every mode of that script.
 *
 * A newer promise-helpers (2.x) answers synchronous values without fake promises, but yoga
 * 5.24 and envelop 5.6 require 1.x (they re-export its `mapMaybePromise`, which 2.x dropped).
 */
import { createRequire } from 'node:module';
import * as esm from '@whatwg-node/promise-helpers';

type Helpers = typeof esm;

const cjs = createRequire(import.meta.url)('@whatwg-node/promise-helpers') as Helpers;

function shapesOf(helpers: Helpers): readonly unknown[] {
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

/** The module instances, ESM then CommonJS (the test checks the libraries share them). */
export const heldPromiseHelpers: readonly Helpers[] = [esm, cjs];
/** The held objects, per instance; exported so that they stay reachable, and for the test. */
export const heldPromiseShapes: readonly (readonly unknown[])[] = heldPromiseHelpers.map(shapesOf);
