/**
 * A manual clock for the simulator's controllers: timers and intervals run only when a
 * test advances time, in due order, including timers scheduled while advancing.
 */
interface Timer {
  id: number;
  due: number;
  every?: number;
  callback: () => void;
}

export class FakeClock {
  now = 0;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();

  setTimeout = (callback: () => void, ms: number): unknown => this.add(callback, ms);
  clearTimeout = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };
  setInterval = (callback: () => void, ms: number): unknown => this.add(callback, ms, Math.max(1, ms));
  clearInterval = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };

  get pending(): number {
    return this.timers.size;
  }

  /** Runs every timer due within `ms` from now, then sets the time to now + ms. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.timers.values()) if (t.due <= target && (!next || t.due < next.due)) next = t;
      if (!next) break;
      this.now = next.due;
      if (next.every) next.due += next.every;
      else this.timers.delete(next.id);
      next.callback();
    }
    this.now = target;
  }

  private add(callback: () => void, ms: number, every?: number): number {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.now + Math.max(0, ms), every, callback });
    return id;
  }
}
