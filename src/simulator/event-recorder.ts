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
  readonly stats = { created: 0, aggregated: 0 };
  private readonly clock: TimeoutClock;
  private readonly now: () => Date;
  private queue: EventInput[] = [];
  private flushTimer: unknown;
  /** Aggregation key -> the event's `namespace/name`, while it exists. */
  private readonly byKey = new Map<string, { namespace: string; name: string }>();
  private readonly keyOf = new Map<string, string>();
  private sequence = 0;
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

  private write(input: EventInput): void {
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
    if (existing) {
      const done = this.store.mutate('events', existing.namespace, existing.name, (event) => {
        event.count = Number(event.count ?? 1) + 1;
        event.lastTimestamp = now;
        return event;
      });
      if (done) {
        this.stats.aggregated += 1;
        return;
      }
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

/** Deletes events `ttlSeconds` after they were last written (created or updated). */
export class EventTtl {
  /** Events deleted for their age. */
  readonly stats = { expired: 0 };
  readonly ttlSeconds: number;
  private readonly clock: TimeoutClock;
  private readonly timers = new Map<string, unknown>();
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
    return this.timers.size;
  }

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.store.subscribe('events', (e) => this.onEvent(e));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const handle of this.timers.values()) this.clock.clearTimeout(handle);
    this.timers.clear();
  }

  private onEvent(e: StoredEvent): void {
    const namespace = e.object.metadata.namespace;
    const name = e.object.metadata.name;
    const ref = `${namespace}/${name}`;
    this.clock.clearTimeout(this.timers.get(ref));
    this.timers.delete(ref);
    if (e.type === 'DELETED') return;
    const uid = e.object.metadata.uid;
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(ref);
      const current = this.store.get('events', namespace, name);
      if (!current || current.metadata.uid !== uid) return;
      try {
        this.store.delete('events', namespace, name);
        this.stats.expired += 1;
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
      }
    }, this.ttlSeconds * 1000);
    this.timers.set(ref, handle);
  }
}
