/**
 * How many clusters may do their initial LISTs at once, process-wide (issue #16, "a fleet
 * in one process"). A cluster holds one slot from its first informer's initial LIST to
 * its last one's (Cluster.start lists its kinds one at a time inside it), so no API server
 * sees more than one initial LIST from us, and a gateway starting with 50 clusters does
 * not ask 50 × 7 LISTs of 20,000 objects at once (each a parse and a transform competing
 * for one event loop: every cluster would be ready last, not one after the other).
 *
 * A plain counting semaphore, FIFO, with cancellation (a cluster stopped while it waits
 * leaves the queue). Hand-written: ~30 lines, and `p-limit`-style packages run functions,
 * where a slot here is held across several awaits and released from elsewhere.
 */

export const DEFAULT_CONCURRENT_SYNCS = 3;

export class SyncGate {
  private held = 0;
  private readonly waiting: { grant: () => void }[] = [];

  constructor(readonly limit: number = DEFAULT_CONCURRENT_SYNCS) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`SyncGate: limit must be an integer >= 1, received ${limit}`);
  }

  /** Clusters syncing now (holding a slot), and waiting for one. */
  get stats(): { syncing: number; waiting: number } {
    return { syncing: this.held, waiting: this.waiting.length };
  }

  /**
   * Resolves with a release function once a slot is free, or with undefined if `signal`
   * aborts first (the slot is then not taken). Release is idempotent. When it has to wait,
   * `queued` gets a function that moves it to the head of the queue.
   */
  acquire(signal?: AbortSignal, queued?: (promote: () => void) => void): Promise<(() => void) | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    if (this.held < this.limit) {
      this.held += 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      const entry = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      const onAbort = () => {
        const at = this.waiting.indexOf(entry);
        if (at >= 0) this.waiting.splice(at, 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
      // Someone asked for this cluster's data: it goes first among those waiting.
      queued?.(() => {
        const at = this.waiting.indexOf(entry);
        if (at > 0) {
          this.waiting.splice(at, 1);
          this.waiting.unshift(entry);
        }
      });
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next in line: `held` stays as it is.
      if (next) next.grant();
      else this.held -= 1;
    };
  }
}
