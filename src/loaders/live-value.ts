/**
 * A live value: recomputed when something it depends on changes, pushed only when it
 * differs from what was last pushed, and at most once per interval (coalescing a burst
 * of pod changes into one update). Holds one pending value at most, so a slow
 * subscriber costs nothing but staleness. Every timer and every reading of the time goes
 * through `clock`, so tests drive the coalescing with a fake clock instead of sleeping.
 */
import { type Clock, systemClock } from '../kube/clock.js';

export interface LiveValueOptions<T> {
  /** Subscribes to what invalidates the value; returns the unsubscribe function. */
  subscribe: (invalidate: () => void) => () => void;
  /** Also invalidate on a timer (for values nothing publishes, like staleness). */
  pollMs?: number;
  /** The current value; undefined means nothing to push this time. */
  compute: () => Promise<T | undefined>;
  /** Equal keys: no push. */
  key: (value: T) => string;
  /** Minimum time between two pushes. */
  intervalMs: number;
  /** Timers and the time. Default the system clock. */
  clock?: Clock;
}

/** The last item of a live value whose computation failed; resolvers throw `error` (see `unwrapLive`). */
export class LiveValueError {
  constructor(readonly error: unknown) {}
}

/** A live value's item for a resolver: the value, or the failure that ended it, thrown. */
export function unwrapLive<T>(item: T | LiveValueError): T {
  if (item instanceof LiveValueError) throw item.error;
  return item;
}

export class LiveValue<T> implements AsyncIterableIterator<T> {
  private dirty = true;
  private closed = false;
  private computing = false;
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (err: unknown) => void } | undefined;
  private timer: unknown;
  private readonly poll: unknown;
  private readonly unsubscribe: () => void;
  private lastKey: string | undefined;
  private lastPush = Number.NEGATIVE_INFINITY;
  private readonly clock: Clock;

  constructor(private readonly options: LiveValueOptions<T>) {
    this.clock = options.clock ?? systemClock;
    this.unsubscribe = options.subscribe(() => this.invalidate());
    if (options.pollMs) this.poll = this.clock.setInterval(() => this.invalidate(), options.pollMs);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.schedule();
    });
  }

  async return(): Promise<IteratorResult<T>> {
    this.stop();
    this.waiter?.resolve({ value: undefined, done: true });
    this.waiter = undefined;
    return { value: undefined, done: true };
  }

  private stop(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    if (this.poll !== undefined) this.clock.clearInterval(this.poll);
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private invalidate(): void {
    this.dirty = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.closed || !this.waiter || !this.dirty || this.timer !== undefined || this.computing) return;
    const wait = Math.max(0, this.lastPush + this.options.intervalMs - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, wait);
  }

  private async run(): Promise<void> {
    if (this.closed || !this.waiter) return;
    this.dirty = false;
    this.computing = true;
    let value: T | undefined;
    try {
      value = await this.options.compute();
    } catch (err) {
      this.computing = false;
      const waiter = this.waiter;
      this.waiter = undefined;
      // A failed computation ends the value: the error is its last word (FORBIDDEN when the
      // caller's rights are gone), delivered as the last item for the field's resolver to
      // throw — so every transport sends it as a result with errors, then completes, as an
      // event stream's SLOW_CONSUMER — and the stream ends.
      this.stop();
      waiter?.resolve({ value: new LiveValueError(err) as unknown as T, done: false });
      return;
    }
    this.computing = false;
    if (this.closed || !this.waiter) return;
    if (value === undefined) {
      // Nothing to say yet: wait for the next invalidation.
      this.schedule();
      return;
    }
    const key = this.options.key(value);
    if (key === this.lastKey) {
      this.schedule();
      return;
    }
    this.lastKey = key;
    this.lastPush = this.clock.now();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter.resolve({ value, done: false });
  }
}
