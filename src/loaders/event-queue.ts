/**
 * A bounded, single-consumer async queue: what stands between the event hub (which
 * pushes synchronously, for every subscriber, on every change) and one subscriber's
 * transport. Pushing is O(1) and never waits, so a slow subscriber never delays the
 * hub or the others; a subscriber whose queue overflows is cut off with one terminal
 * SLOW_CONSUMER error instead of growing without bound.
 */
import { ErrorCode, GatewayError } from '../errors.js';

export interface EventQueueOptions {
  /** Items that may wait for the consumer before it is cut off. */
  limit: number;
  /** Called once, with the queue, when the consumer goes away or is cut off: unsubscribe here. */
  onClose?: (queue: object) => void;
  /** What a cut-off consumer should do next (the SLOW_CONSUMER message's advice). */
  resumeAdvice?: string;
}

const EVENTS_ADVICE = 'resubscribe (with initial: true to resynchronise)';

const DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true });

/**
 * A source a consumer may read without a promise per item: `nextNow` answers at once (an
 * item, the end, or undefined when there is nothing yet), and `whenReady` calls back once
 * when it has something. A consumer uses either this or `next`, not both.
 *
 * Why: a fan-out to 10,000 subscribers spent, per subscriber and event, three promises and
 * four microtask hops between the queue and the socket (queue, relay, result stream,
 * delivery loop), for results that are already in memory.
 */
export interface ReadySource<T> {
  nextNow(): IteratorResult<T> | undefined;
  whenReady(ready: () => void): void;
}

export function isReadySource<T>(source: unknown): source is ReadySource<T> {
  const s = source as Partial<ReadySource<T>> | null | undefined;
  return typeof s?.nextNow === 'function' && typeof s.whenReady === 'function';
}

let readyBatch: (() => void)[] = [];

function runReadyBatch(): void {
  const batch = readyBatch;
  readyBatch = [];
  for (let i = 0; i < batch.length; i++) {
    try {
      batch[i]();
    } catch (error) {
      // A consumer's callback failing is a bug; the other consumers are still called back.
      for (const rest of batch.slice(i + 1)) soon(rest);
      throw error;
    }
  }
}

/**
 * Calls `ready` in a microtask shared by every callback asked for in the same turn: after
 * the hub's synchronous fan-out (so every listener has seen the event, as a promise's
 * resolution would have it), with one microtask for all the subscribers, not one each.
 */
export function soon(ready: () => void): void {
  if (readyBatch.push(ready) === 1) queueMicrotask(runReadyBatch);
}
/** A log follow has no snapshot to resynchronise from: the caller picks its lines again. */
export const LOGS_ADVICE = 'resubscribe (with tailLines or sinceSeconds to pick up the lines missed)';

/** The item a queue ends with when its consumer fell behind: resolvers throw it. */
export class SlowConsumerError extends GatewayError {
  constructor(limit: number, advice: string = EVENTS_ADVICE) {
    super(`subscriber fell more than ${limit} events behind and was disconnected; ${advice}`, {
      code: ErrorCode.SLOW_CONSUMER,
      queueLimit: limit,
    });
  }
}

export class EventQueue<T> implements AsyncIterableIterator<T | GatewayError>, ReadySource<T | GatewayError> {
  private readonly items: (T | GatewayError)[] = [];
  private head = 0;
  private waiting: ((result: IteratorResult<T | GatewayError>) => void) | undefined;
  /** A `whenReady` consumer's callback, while the queue is empty. */
  private ready: (() => void) | undefined;
  private closed = false;
  private overflowed = false;
  private limit: number;

  constructor(private readonly options: EventQueueOptions) {
    this.limit = options.limit;
  }

  /** Also calls `callback` once when the queue closes (after `onClose`). */
  onEnd(callback: () => void): void {
    if (this.options.onClose === undefined && (this.closed || this.overflowed)) {
      callback();
      return;
    }
    const previous = this.options.onClose;
    this.options.onClose = (queue) => {
      previous?.(queue);
      callback();
    };
  }

  /** Raises the bound for items that must all be delivered (an initial snapshot). */
  reserve(extra: number): void {
    this.limit += extra;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Enqueues an item; returns false when the queue is closed or just overflowed. */
  push(item: T): boolean {
    if (this.closed || this.overflowed) return false;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
      return true;
    }
    if (this.ready) {
      this.items.push(item);
      this.wake();
      return true;
    }
    if (this.size >= this.limit) {
      // Drop what is queued: the consumer gets one terminal error, then the end.
      this.overflowed = true;
      this.items.length = 0;
      this.head = 0;
      this.items.push(new SlowConsumerError(this.options.limit, this.options.resumeAdvice));
      this.release();
      this.wake();
      return false;
    }
    this.items.push(item);
    return true;
  }

  /**
   * Ends the stream with a terminal error (FORBIDDEN when the subscriber's rights were
   * revoked): what is queued is dropped, since it was decided under the old rights.
   */
  fail(error: GatewayError): void {
    if (this.closed || this.overflowed) return;
    this.overflowed = true;
    this.items.length = 0;
    this.head = 0;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: error, done: false });
    } else this.items.push(error);
    this.release();
    this.wake();
  }

  /** Ends the stream after what is queued. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
    if (this.waiting && this.size === 0) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
    this.wake();
  }

  nextNow(): IteratorResult<T | GatewayError> | undefined {
    if (this.size > 0) {
      const value = this.items[this.head];
      this.items[this.head] = undefined as never;
      this.head += 1;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items.splice(0, this.head);
        this.head = 0;
      }
      if (value instanceof GatewayError) this.end();
      return { value, done: false };
    }
    if (this.closed || this.overflowed) return DONE;
    return undefined;
  }

  whenReady(ready: () => void): void {
    this.ready = ready;
    if (this.size > 0 || this.closed || this.overflowed) this.wake();
  }

  next(): Promise<IteratorResult<T | GatewayError>> {
    const now = this.nextNow();
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** The consumer went away (client disconnected, or the operation completed). */
  return(): Promise<IteratorResult<T | GatewayError>> {
    this.items.length = 0;
    this.head = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Calls the `whenReady` consumer back (once), soon. */
  private wake(): void {
    const ready = this.ready;
    if (!ready) return;
    this.ready = undefined;
    soon(ready);
  }

  private release(): void {
    const onClose = this.options.onClose;
    this.options.onClose = undefined;
    onClose?.(this);
  }
}
