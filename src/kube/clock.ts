/**
 * The one clock the gateway's timing logic reads time and schedules timers through:
 * reflector backoff and watch timeouts, LiveValue coalescing and polling. Production
 * passes nothing and gets `systemClock`; tests pass a fake clock and advance it instead
 * of sleeping. `random` is here too because the jitter drawn for a delay is part of
 * when a timer fires, and a test must be able to pin it.
 */
export interface Clock {
  /** Milliseconds since the epoch (or since any fixed origin, for a fake clock). */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  /** A number in [0, 1), for jitter. */
  random(): number;
}

/** The wall clock and Node's global timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout | undefined),
  random: () => Math.random(),
};
