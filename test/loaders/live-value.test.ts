/**
 * LiveValue's coalescing, driven by a fake clock: no test here waits for real time, and
 * each asserts when a push may happen as well as when it must not.
 */
import { describe, expect, it } from 'vitest';
import {
  LiveValue,
  LiveValueError,
  type LiveValueOptions,
  unwrapLive,
} from '../../src/loaders/live-value.js';
import { FakeClock, settle } from '../helpers/fake-clock.js';

const INTERVAL = 250;

/** A LiveValue over a mutable `value`, with hooks to invalidate it and counts of what it did. */
function setup(overrides: Partial<LiveValueOptions<number>> = {}) {
  const clock = new FakeClock(1_000_000);
  const state = { value: 1 as number | undefined, computes: 0, subscribed: 0, unsubscribed: 0 };
  let invalidate: (() => void) | undefined;
  const live = new LiveValue<number>({
    subscribe: (fn) => {
      state.subscribed += 1;
      invalidate = fn;
      return () => {
        state.unsubscribed += 1;
        invalidate = undefined;
      };
    },
    compute: async () => {
      state.computes += 1;
      return state.value;
    },
    key: (v) => String(v),
    intervalMs: INTERVAL,
    clock,
    ...overrides,
  });
  const change = (value: number) => {
    state.value = value;
    invalidate?.();
  };
  return { clock, live, state, change, invalidate: () => invalidate?.() };
}

/** A next() whose outcome can be inspected without awaiting it. */
function pending<T>(promise: Promise<IteratorResult<T>>) {
  const out: { settled: boolean; result?: IteratorResult<T>; error?: unknown } = { settled: false };
  promise.then(
    (result) => Object.assign(out, { settled: true, result }),
    (error) => Object.assign(out, { settled: true, error }),
  );
  return out;
}

describe('LiveValue', () => {
  it('pushes the first value at once, then nothing until the value changes', async () => {
    const { clock, live, state, invalidate } = setup();
    const first = pending(live.next());
    await clock.advanceAsync(0);
    expect(first.result).toEqual({ value: 1, done: false });
    expect(clock.now()).toBe(1_000_000);

    // Invalidated, but the value is the same: recomputed, never pushed.
    const second = pending(live.next());
    invalidate();
    await clock.advanceAsync(INTERVAL);
    expect(state.computes).toBe(2);
    invalidate();
    await clock.advanceAsync(10 * INTERVAL);
    expect(state.computes).toBe(3);
    expect(second.settled).toBe(false);
  });

  it('coalesces a burst into one push per interval, carrying the latest value', async () => {
    const { clock, live, state, change } = setup();
    const first = pending(live.next());
    await clock.advanceAsync(0);
    expect(first.result?.value).toBe(1);
    const pushedAt = clock.now();

    const second = pending(live.next());
    // 49 changes, 5 ms apart, all inside the interval after the last push.
    for (let i = 2; i <= 50; i++) {
      change(i);
      await clock.advanceAsync(5);
    }
    expect(clock.now() - pushedAt).toBe(245);
    await clock.advanceAsync(pushedAt + INTERVAL - 1 - clock.now());
    expect(second.settled).toBe(false);
    expect(state.computes).toBe(1);
    await clock.advanceAsync(1);
    expect(second.result).toEqual({ value: 50, done: false });
    // One computation for the whole burst, at the end of the interval.
    expect(state.computes).toBe(2);

    // The next push is again held back a full interval after this one.
    const third = pending(live.next());
    change(51);
    await clock.advanceAsync(INTERVAL - 1);
    expect(third.settled).toBe(false);
    await clock.advanceAsync(1);
    expect(third.result).toEqual({ value: 51, done: false });
  });

  it('pushes a change at once when the last push is more than an interval old', async () => {
    const { clock, live, change } = setup();
    pending(live.next());
    await clock.advanceAsync(0);
    await clock.advanceAsync(5 * INTERVAL);
    const next = pending(live.next());
    change(2);
    await clock.advanceAsync(0);
    expect(next.result).toEqual({ value: 2, done: false });
  });

  it('holds a change until the consumer asks for it, then delivers only the latest', async () => {
    const { clock, live, state, change } = setup();
    pending(live.next());
    await clock.advanceAsync(0);
    change(2);
    change(3);
    await clock.advanceAsync(10 * INTERVAL);
    // No one is waiting: nothing is computed.
    expect(state.computes).toBe(1);
    const next = pending(live.next());
    await clock.advanceAsync(0);
    expect(next.result).toEqual({ value: 3, done: false });
    expect(state.computes).toBe(2);
  });

  it('waits for the next invalidation when compute has nothing to say', async () => {
    const { clock, live, state, change } = setup();
    state.value = undefined;
    const first = pending(live.next());
    await clock.advanceAsync(10 * INTERVAL);
    expect(first.settled).toBe(false);
    expect(state.computes).toBe(1);
    change(7);
    await clock.advanceAsync(0);
    expect(first.result).toEqual({ value: 7, done: false });
  });

  it('polls: invalidates every pollMs without any event', async () => {
    const { clock, live, state } = setup({ pollMs: 1000 });
    pending(live.next());
    await clock.advanceAsync(0);
    const next = pending(live.next());
    state.value = 2; // changed behind its back: no invalidation
    await clock.advanceAsync(999);
    expect(next.settled).toBe(false);
    expect(state.computes).toBe(1);
    await clock.advanceAsync(1);
    expect(next.result).toEqual({ value: 2, done: false });
    expect(state.computes).toBe(2);
    // Each poll recomputes; an unchanged value is not pushed.
    const after = pending(live.next());
    await clock.advanceAsync(3000);
    expect(state.computes).toBe(5);
    expect(after.settled).toBe(false);
  });

  it('return() ends a waiting next(), unsubscribes and clears every timer', async () => {
    const { clock, live, state, change } = setup({ pollMs: 1000 });
    pending(live.next());
    await clock.advanceAsync(0);
    const waiting = pending(live.next());
    change(2); // within the interval: a coalescing timer is now pending, as is the poll
    await settle();
    expect(clock.pending).toBe(2);
    expect(state.subscribed).toBe(1);

    await expect(live.return()).resolves.toEqual({ value: undefined, done: true });
    await settle();
    expect(waiting.result).toEqual({ value: undefined, done: true });
    expect(state.unsubscribed).toBe(1);
    expect(clock.pending).toBe(0);

    const computes = state.computes;
    await clock.advanceAsync(10_000);
    expect(state.computes).toBe(computes);
    await expect(live.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('ends with the failure as its last item when compute throws (resolvers throw it), then is done', async () => {
    const { clock, live } = setup({
      compute: async () => {
        throw new Error('boom');
      },
    });
    const next = pending(live.next());
    await clock.advanceAsync(0);
    const item = (next.result as IteratorResult<unknown>).value;
    expect(item).toBeInstanceOf(LiveValueError);
    expect(() => unwrapLive(item)).toThrow('boom');
    expect(await live.next()).toEqual({ value: undefined, done: true });
  });
});
