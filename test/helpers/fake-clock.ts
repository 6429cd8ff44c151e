/**
 * A manual clock (the gateway's `Clock`, and the simulator controllers' timer clocks):
 * timers and intervals run only when a test advances time, in due order, including
 * timers scheduled while advancing. `random` is pinned (0.5 unless a test sets it), so
 * jittered delays are known in advance.
 *
 * `advance` is synchronous: for callback-driven code (the simulator's controllers).
 * `advanceAsync` lets promises settle before and after each timer, so code that awaits
 * between timers (a reflector's loop, a LiveValue's compute) schedules its next timer
 * before time moves on. Neither waits for real time.
 */
import type { Clock } from '../../src/kube/clock.js';

interface Timer {
  id: number;
  due: number;
  every?: number;
  callback: () => void;
}

export class FakeClock implements Clock {
  private time: number;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();
  /** What random() returns; tests may replace it. */
  randomValue = 0.5;

  constructor(start = 0) {
    this.time = start;
  }

  now = (): number => this.time;
  random = (): number => this.randomValue;
  setTimeout = (callback: () => void, ms: number): unknown => this.add(callback, ms);
  clearTimeout = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };
  setInterval = (callback: () => void, ms: number): unknown => this.add(callback, ms, Math.max(1, ms));
  clearInterval = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };

  /** Timers and intervals not yet run or cleared. */
  get pending(): number {
    return this.timers.size;
  }

  /** Milliseconds from now until the earliest pending timer, or undefined if there is none. */
  get nextDueIn(): number | undefined {
    const next = this.earliest(Number.POSITIVE_INFINITY);
    return next ? next.due - this.time : undefined;
  }

  /** Runs every timer due within `ms` from now, then sets the time to now + ms. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (let next = this.earliest(target); next; next = this.earliest(target)) this.fire(next);
    this.time = target;
  }

  /** As advance(), letting pending promises settle before the first timer and after each one. */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.time + ms;
    await settle();
    for (let next = this.earliest(target); next; next = this.earliest(target)) {
      this.fire(next);
      await settle();
    }
    this.time = target;
    await settle();
  }

  private earliest(limit: number): Timer | undefined {
    let next: Timer | undefined;
    for (const t of this.timers.values()) if (t.due <= limit && (!next || t.due < next.due)) next = t;
    return next;
  }

  private fire(timer: Timer): void {
    this.time = timer.due;
    if (timer.every) timer.due += timer.every;
    else this.timers.delete(timer.id);
    timer.callback();
  }

  private add(callback: () => void, ms: number, every?: number): number {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.time + Math.max(0, ms), every, callback });
    return id;
  }
}

/** Lets every queued promise continuation run: one macrotask turn, no timer and no waiting. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
