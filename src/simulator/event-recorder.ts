/**
 * Events as a cluster's components write them (client-go's EventRecorder with its
 * EventCorrelator), and their expiry (kube-apiserver's `--event-ttl`).
 *
 * `EventRecorder.record` queues an event; the queue is written on the next turn of the
 * injectable clock (delay 0), so a controller may record from anywhere, a store listener
 * included, without writing inside another write. A repeat of an event (same involved
 * object and field path, reason, message, type and source) is not a new object: the first
 * one's `count` goes up and its `lastTimestamp` moves, as the correlator's aggregation does.
 *
 * `EventTtl` deletes every event written while it runs once it is `ttlSeconds` old (an
 * update renews it, as a write renews the etcd lease on a real cluster), through the store,
 * so watchers see DELETED. The scenario's own events are history from before the
 * simulator started and are left alone.
 */
import type { TimeoutClock } from './job-controller.js';
import { type SimStore, StoreError } from './store.js';
import type { KubeObject, StoredEvent } from './types.js';

type Json = Record<string, unknown>;

/** kube-apiserver's --event-ttl default: one hour. */
export const DEFAULT_EVENT_TTL_SECONDS = 3600;

const SPAM_BURST = 25;
const SPAM_REFILL_MS = 300_000;

const SYSTEM_CLOCK: TimeoutClock = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Who reports: `component` is the source (and reportingComponent), `host` its node. */
export interface EventSource {
  component: string;
  host?: string;
}

export interface EventInput {
  /** The object the event is about (its kind, namespace, name, uid, resourceVersion are copied). */
  involved: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>;
  /** `spec.containers{name}` for an event about one container. */
  fieldPath?: string;
  reason: string;
  message: string;
  type?: 'Normal' | 'Warning';
  source: EventSource;
  /** Overrides the involved object's uid (a kubelet names its node by name). */
  uid?: string;
}

export interface EventRecorderOptions {
  clock?: TimeoutClock;
  now?: () => Date;
}

function seconds(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

export class EventRecorder {
  /** Events written (created) and repeats aggregated into an existing one. */
  readonly stats = { created: 0, aggregated: 0, dropped: 0 };
  private readonly clock: TimeoutClock;
  private readonly now: () => Date;
  private queue: EventInput[] = [];
  private flushTimer: unknown;
  /** Aggregation key -> the event's `namespace/name`, while it exists. */
  private readonly byKey = new Map<string, { namespace: string; name: string }>();
  private readonly keyOf = new Map<string, string>();
  private sequence = 0;
  /** The spam filter's token buckets, per source and involved object. */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: SimStore,
    opts: EventRecorderOptions = {},
  ) {
    this.clock = opts.clock ?? SYSTEM_CLOCK;
    this.now = opts.now ?? (() => new Date());
    // An aggregated event deleted (by its TTL, a client) is created anew on its next repeat.
    this.unsubscribe = store.subscribe('events', (e) => {
      if (e.type !== 'DELETED') return;
      const ref = `${e.object.metadata.namespace}/${e.object.metadata.name}`;
      const key = this.keyOf.get(ref);
      if (key === undefined) return;
      this.keyOf.delete(ref);
      this.byKey.delete(key);
    });
  }

  record(input: EventInput): void {
    this.queue.push(input);
    if (this.flushTimer !== undefined) return;
    this.flushTimer = this.clock.setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, 0);
  }

  /** Writes what is queued now (the timer does it otherwise). */
  flush(): void {
    const queue = this.queue;
    this.queue = [];
    for (const input of queue) {
      try {
        this.write(input);
      } catch (err) {
        // The namespace went away in between: a real recorder drops the event too.
        if (!(err instanceof StoreError)) throw err;
      }
    }
  }

  stop(): void {
    this.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.queue = [];
    this.unsubscribe();
  }

  /**
   * client-go's EventSourceObjectSpamFilter: per source and object, a burst of 25 events,
   * then one per 5 minutes; the rest are dropped (a pod that cannot be scheduled for an
   * hour does not write an event per attempt).
   */
  private allowed(input: EventInput): boolean {
    const key = `${input.source.component}\u0000${input.source.host ?? ''}\u0000${input.involved.metadata.uid ?? input.involved.metadata.name}`;
    const now = this.now().getTime();
    const bucket = this.buckets.get(key) ?? { tokens: SPAM_BURST, at: now };
    bucket.tokens = Math.min(SPAM_BURST, bucket.tokens + (now - bucket.at) / SPAM_REFILL_MS);
    bucket.at = now;
    if (this.buckets.size > 10_000) {
      // Forget the objects that have been quiet long enough to have a full bucket again.
      for (const [k, b] of this.buckets)
        if (b.tokens + (now - b.at) / SPAM_REFILL_MS >= SPAM_BURST) this.buckets.delete(k);
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private write(input: EventInput): void {
    if (!this.allowed(input)) {
      this.stats.dropped += 1;
      return;
    }
    const meta = input.involved.metadata;
    const namespace = meta.namespace ?? 'default';
    const uid = input.uid ?? meta.uid ?? '';
    const type = input.type ?? 'Normal';
    const key = [
      input.source.component,
      input.source.host ?? '',
      input.involved.kind,
      namespace,
      meta.name,
      uid,
      input.fieldPath ?? '',
      type,
      input.reason,
      input.message,
    ].join('\u0000');
    const now = seconds(this.now());
    const existing = this.byKey.get(key);
    const event = existing && this.store.get('events', existing.namespace, existing.name);
    if (event) {
      this.store.update('events', { ...event, count: Number(event.count ?? 1) + 1, lastTimestamp: now });
      this.stats.aggregated += 1;
      return;
    }
    const involvedObject: Json = {
      kind: input.involved.kind,
      namespace: meta.namespace,
      name: meta.name,
      uid,
      apiVersion: input.involved.apiVersion,
      resourceVersion: meta.resourceVersion,
      fieldPath: input.fieldPath,
    };
    for (const k of Object.keys(involvedObject))
      if (involvedObject[k] === undefined) delete involvedObject[k];
    // client-go names an event after its object and the time in nanoseconds, in hex.
    this.sequence += 1;
    const name = `${meta.name}.${(BigInt(this.now().getTime()) * 1_000_000n + BigInt(this.sequence)).toString(16)}`;
    const source: Json = { component: input.source.component };
    if (input.source.host) source.host = input.source.host;
    const created = this.store.create('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject,
      reason: input.reason,
      message: input.message,
      source,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: input.source.component,
      reportingInstance: input.source.host ?? '',
    });
    const ref = `${namespace}/${created.metadata.name}`;
    this.byKey.set(key, { namespace, name: created.metadata.name });
    this.keyOf.set(ref, key);
    this.stats.created += 1;
  }
}

export interface EventTtlOptions {
  /** How long an event lives after its last write. Default 3600 (one hour). */
  ttlSeconds?: number;
  clock?: TimeoutClock;
}

/**
 * Deletes events `ttlSeconds` after they were last written (created or updated). Events
 * written in the same turn of the clock share one timer (a batch), so that thousands of
 * events cost a few timers, not one each.
 */
export class EventTtl {
  /** Events deleted for their age. */
  readonly stats = { expired: 0 };
  readonly ttlSeconds: number;
  private readonly clock: TimeoutClock;
  /** Each timed event's uid and the batch it expires with. */
  private readonly timed = new Map<string, { uid: string | undefined; batch: Set<string> }>();
  /** The batch of this turn of the clock, closed by a timer of delay 0. */
  private current: Set<string> | undefined;
  private readonly timers = new Set<unknown>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: SimStore,
    opts: EventTtlOptions = {},
  ) {
    const ttl = opts.ttlSeconds ?? DEFAULT_EVENT_TTL_SECONDS;
    if (!(Number.isFinite(ttl) && ttl > 0)) {
      throw new RangeError(`eventTtlSeconds must be a number of seconds > 0, received ${ttl}`);
    }
    this.ttlSeconds = ttl;
    this.clock = opts.clock ?? SYSTEM_CLOCK;
  }

  /** Events being timed now. */
  get tracked(): number {
    return this.timed.size;
  }

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.store.subscribe('events', (e) => this.onEvent(e));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const handle of this.timers) this.clock.clearTimeout(handle);
    this.timers.clear();
    this.timed.clear();
    this.current = undefined;
  }

  private onEvent(e: StoredEvent): void {
    const ref = `${e.object.metadata.namespace}/${e.object.metadata.name}`;
    this.timed.get(ref)?.batch.delete(ref);
    this.timed.delete(ref);
    if (e.type === 'DELETED') return;
    const batch = this.current ?? this.openBatch();
    batch.add(ref);
    this.timed.set(ref, { uid: e.object.metadata.uid, batch });
  }

  private openBatch(): Set<string> {
    const batch = new Set<string>();
    this.current = batch;
    const close = this.clock.setTimeout(() => {
      this.timers.delete(close);
      if (this.current === batch) this.current = undefined;
    }, 0);
    const expire = this.clock.setTimeout(() => {
      this.timers.delete(expire);
      if (this.current === batch) this.current = undefined;
      this.expire(batch);
    }, this.ttlSeconds * 1000);
    this.timers.add(close);
    this.timers.add(expire);
    return batch;
  }

  private expire(batch: Set<string>): void {
    for (const ref of [...batch]) {
      const entry = this.timed.get(ref);
      this.timed.delete(ref);
      const slash = ref.indexOf('/');
      const current = this.store.get('events', ref.slice(0, slash), ref.slice(slash + 1));
      if (!current || current.metadata.uid !== entry?.uid) continue;
      try {
        this.store.delete('events', current.metadata.namespace, current.metadata.name);
        this.stats.expired += 1;
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
      }
    }
  }
}
