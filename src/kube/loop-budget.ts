/**
 * A slice of each event-loop turn for watch events, so that requests are answered while a
 * backlog of them is applied.
 *
 * The watch streams of every cluster and kind share the gateway's one event loop with the
 * requests. Events normally come a few at a time; but after the loop was held (a full GC of
 * a fleet's heap held it 1–6 s, `bench/results/fleet-gc.md`) or a watch resumed behind, every
 * stream has a backlog, and libuv hands the loop every readable socket at once: each
 * stream's chunk was applied whole, in the same turn, before a request's socket further down
 * the list was read. A 50-cluster fleet brings ~2,700 events a second at ~0.15 ms each, so a
 * one-second stall left about 0.4 s of events to apply, and every request that came meanwhile
 * waited behind them; those requests, not the stall itself (one request at a time meets
 * it once), are what a p99 counts.
 *
 * So the events are applied within a budget: once `sliceMs` of event work has been done in a
 * turn, a stream waits for a later turn (`nextTurn`, resolved by `setImmediate`, after the
 * I/O the loop has gathered: the requests that came meanwhile are read and answered first).
 * A stream that waited applies at least one event when it resumes, so every stream moves on
 * however many are behind. Events are applied in order within each stream, as before; only
 * when they are applied changes, and not by more than the turns it takes.
 *
 * `setImmediate` is Node's own (imported, not the global a test's fake timers may replace):
 * it marks a turn of the loop, not a duration, so it is not one of the Clock's timers.
 */
import { setImmediate } from 'node:timers';

export class LoopBudget {
  /** Milliseconds of work per turn before the streams wait for the next one. */
  readonly sliceMs: number;
  #spent = 0;
  #resetQueued = false;
  #waiting: (() => void)[] = [];

  constructor(options: { sliceMs?: number } = {}) {
    this.sliceMs = options.sliceMs ?? 5;
  }

  /** Whether this turn's slice is used up (the caller then awaits `nextTurn()` before more work). */
  get exhausted(): boolean {
    return this.#spent >= this.sliceMs;
  }

  /** Runs `work` (one event) and charges its time to this turn. */
  run<T>(work: () => T): T {
    const started = performance.now();
    try {
      return work();
    } finally {
      this.#spent += performance.now() - started;
      this.#queueReset();
    }
  }

  /** Resolves in a later turn of the event loop, once the I/O gathered meanwhile has been handled. */
  nextTurn(): Promise<void> {
    this.#queueReset();
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
    });
  }

  #queueReset(): void {
    if (this.#resetQueued) return;
    this.#resetQueued = true;
    setImmediate(() => {
      this.#resetQueued = false;
      this.#spent = 0;
      const waiting = this.#waiting;
      this.#waiting = [];
      for (const resume of waiting) resume();
    });
  }
}

/** The budget every watch stream of the process shares (src/kube/client.ts). */
export const watchBudget = new LoopBudget();
