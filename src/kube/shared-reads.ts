/**
 * Reads of the API server in flight, shared by identical ones that arrive meanwhile: what
 * stands between a crowd of pages and a cluster whose kind is not served from memory (the
 * cache switched off, or the cluster still waiting for its turn to sync). Without it every
 * request that arrives while a LIST runs starts its own: a fleet gateway restarting under a
 * dashboard that polls every cluster's summary read each unsynced cluster's 20,000 pods once
 * per poll (27 full LISTs a request, measured with 50 clusters of 20,000 pods), which kept
 * its event loop so busy that the synced clusters' watches fell 64 MB behind and were cut,
 * and relisted in turn.
 *
 * Only the gateway's own reads are shared (its credentials, the same pushed-down selectors),
 * and only what every caller filters and authorises afterwards for itself, as it would have
 * done with a read of its own. Read-your-writes: a write through the gateway closes every
 * read in flight to later callers (`wrote`), so a page asked after its mutation answered
 * never gets a LIST that started before that write.
 */
export class SharedReads {
  #epoch = 0;
  readonly #inFlight = new Map<string, { epoch: number; read: Promise<unknown> }>();

  /** A write through the gateway finished (or failed: it may have been applied anyway). */
  wrote(): void {
    this.#epoch += 1;
  }

  /**
   * `read()`'s result, or that of the identical read (same `key`) already in flight when no
   * write has finished since it started. Settled reads are not kept: this is no cache.
   */
  run<T>(key: string, read: () => Promise<T>): Promise<T> {
    const held = this.#inFlight.get(key);
    if (held !== undefined && held.epoch === this.#epoch) return held.read as Promise<T>;
    const entry = { epoch: this.#epoch, read: read() as Promise<unknown> };
    this.#inFlight.set(key, entry);
    const done = () => {
      if (this.#inFlight.get(key) === entry) this.#inFlight.delete(key);
    };
    entry.read.then(done, done);
    return entry.read as Promise<T>;
  }
}
