/**
 * A token bucket on the gateway's clock, as client-go's `flowcontrol` token bucket rate
 * limiter (golang.org/x/time/rate): it starts full with `burst` tokens and refills at
 * `ratePerSecond`. Unlike client-go's default, which makes a caller wait, the gateway
 * asks `tryTake` and refuses what does not fit (RATE_LIMITED, nothing sent), with
 * `waitMs` saying when it would.
 */
import type { Clock } from './clock.js';

export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly clock: Clock,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) {
      throw new Error(
        `expected a positive rate and a burst of at least 1, received ${ratePerSecond}/${burst}`,
      );
    }
    this.#tokens = burst;
    this.#last = clock.now();
  }

  #refill(): void {
    const now = this.clock.now();
    if (now > this.#last) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.ratePerSecond);
    }
    this.#last = now;
  }

  /** Milliseconds until a token is available; 0 when one is now. */
  waitMs(): number {
    this.#refill();
    if (this.#tokens >= 1) return 0;
    return Math.ceil(((1 - this.#tokens) / this.ratePerSecond) * 1000);
  }

  /** Takes a token when one is available now; false (and nothing taken) otherwise. */
  tryTake(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Tokens available now (fractional while refilling). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }
}
