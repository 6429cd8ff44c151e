/**
 * The retention log of one (cluster, kind): every event its informer published, in order,
 * kept for a while so that a subscriber who lost its connection — to this replica or to
 * another one — can resume from the last resourceVersion it saw (`sinceResourceVersion`)
 * and get exactly what it missed.
 *
 * The log knows from which resourceVersion it is complete (`completeFrom`): every event
 * with a larger resourceVersion is in it. That is the first list's resourceVersion, moved
 * to a relist's (a relist's diff is not the individual events, so anything before it is
 * lost) and to the resourceVersion of each entry that ages out (past the retention, or
 * over the count bound).
 *
 * ResourceVersions are compared as unsigned integers. The Kubernetes API says they are
 * opaque; kube-apiserver's are etcd revisions (one counter per cluster, strictly growing),
 * and client-go's watch cache relies on that in exactly the same way. This is the one
 * place kubegate does (with read-your-writes' visibility check). A resourceVersion that is
 * not an integer cannot be placed: asked for, it is answered `invalid`; published, it makes
 * the log unresumable until the next relist.
 */
import { type Clock, systemClock } from './clock.js';
import type { WatchEventType } from './event-hub.js';
import type { KindName, KubeObjectOf } from './kinds.js';

export interface EventLogOptions {
  /** How long an event stays resumable. Default 300 s. */
  retentionMs?: number;
  /** The most events kept (the oldest go first). Default DEFAULT_RETAINED_EVENTS. */
  maxEvents?: number;
  /** Ages entries on it (defaults to the informer's clock). */
  clock?: Clock;
}

/**
 * At the default scenario a retained pod change costs 758 B of heap beyond the store (what
 * the superseded trimmed version it keeps alive does not share with its successor, adopt.ts,
 * and the entry; measured with scripts/measure-event-log.ts), a trimmed Event about 1 KB:
 * 10,000 per (cluster, kind) bound a busy cluster's pod log to ~8 MB. The bound is a count,
 * not bytes: objects with unusually large fields (the trim keeps annotations and labels) cost
 * more each.
 */
export const DEFAULT_RETAINED_EVENTS = 10_000;
export const DEFAULT_RETENTION_MS = 300_000;

export interface LoggedEvent<K extends KindName = KindName> {
  readonly type: WatchEventType;
  readonly object: KubeObjectOf<K>;
  readonly previous: KubeObjectOf<K> | undefined;
  readonly resourceVersion: string;
  readonly rv: bigint;
  /** When it was logged, on the log's clock. */
  readonly at: number;
}

export type ResumeAnswer<K extends KindName = KindName> =
  /** Every logged event after `since`, oldest first; `oldest` as below. */
  | { ok: true; events: readonly LoggedEvent<K>[]; since: bigint; oldest: string }
  /**
   * `invalid`: not an unsigned integer. `expired`: older than what the log holds
   * (`oldest` is the oldest resourceVersion it can resume from; undefined when none).
   */
  | { ok: false; reason: 'invalid' | 'expired'; oldest: string | undefined };

const UNSIGNED = /^(0|[1-9][0-9]{0,19})$/;

/** A resourceVersion as the unsigned integer kube-apiserver makes it, or undefined. */
export function parseResourceVersion(text: string | undefined): bigint | undefined {
  return text !== undefined && UNSIGNED.test(text) ? BigInt(text) : undefined;
}

export class EventLog<K extends KindName = KindName> {
  readonly retentionMs: number;
  readonly maxEvents: number;
  readonly #clock: Clock;
  /** A ring would save the splice; an array with a moving head is as cheap and simpler. */
  #entries: LoggedEvent<K>[] = [];
  #head = 0;
  /** Undefined: not resumable (before the first list, or after a non-integer resourceVersion). */
  #completeFrom: bigint | undefined;

  constructor(options: EventLogOptions = {}) {
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.maxEvents = options.maxEvents ?? DEFAULT_RETAINED_EVENTS;
    this.#clock = options.clock ?? systemClock;
  }

  /** Events held now (after ageing). */
  get size(): number {
    this.#age();
    return this.#entries.length - this.#head;
  }

  /** The oldest resourceVersion a subscriber can resume from; undefined when none. */
  get completeFrom(): string | undefined {
    this.#age();
    return this.#completeFrom?.toString();
  }

  /** A (re)list at `resourceVersion`: nothing before it can be replayed. */
  reset(resourceVersion: string): void {
    this.#entries = [];
    this.#head = 0;
    this.#completeFrom = parseResourceVersion(resourceVersion);
  }

  append(
    type: WatchEventType,
    object: KubeObjectOf<K>,
    previous: KubeObjectOf<K> | undefined,
    resourceVersion: string,
  ): void {
    if (this.#completeFrom === undefined) return;
    const rv = parseResourceVersion(resourceVersion);
    const last = this.#entries.length > this.#head ? this.#entries[this.#entries.length - 1].rv : undefined;
    if (rv === undefined || rv <= (last ?? this.#completeFrom)) {
      // Out of order or not an integer: nothing is placed reliably any more until a relist.
      this.reset('');
      return;
    }
    this.#entries.push({ type, object, previous, resourceVersion, rv, at: this.#clock.now() });
    this.#age();
  }

  /** What a subscriber that last saw `since` missed, or why it cannot be told. */
  since(since: string): ResumeAnswer<K> {
    this.#age();
    const from = parseResourceVersion(since);
    const oldest = this.#completeFrom?.toString();
    if (from === undefined) return { ok: false, reason: 'invalid', oldest };
    if (this.#completeFrom === undefined || from < this.#completeFrom)
      return { ok: false, reason: 'expired', oldest };
    // Binary search for the first entry after `from`.
    let lo = this.#head;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#entries[mid].rv <= from) lo = mid + 1;
      else hi = mid;
    }
    return { ok: true, events: this.#entries.slice(lo), since: from, oldest: this.#completeFrom.toString() };
  }

  /** Drops what is past the retention or over the count; each drop moves completeFrom to it. */
  #age(): void {
    const cutoff = this.#clock.now() - this.retentionMs;
    let head = this.#head;
    const end = this.#entries.length;
    while (head < end && (end - head > this.maxEvents || this.#entries[head].at <= cutoff)) {
      this.#completeFrom = this.#entries[head].rv;
      head += 1;
    }
    if (head === this.#head) return;
    for (let i = this.#head; i < head; i++) this.#entries[i] = undefined as never;
    this.#head = head;
    if (head > 1024 && head * 2 > end) {
      this.#entries = this.#entries.slice(head);
      this.#head = 0;
    }
  }
}
