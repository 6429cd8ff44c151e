/**
 * One informer per (cluster, kind): a Reflector feeding a transform, an indexed store,
 * the pod aggregates and the event hub. It is the ReflectorSink: every change the
 * reflector reports, and every difference a relist reveals, goes to the store, the
 * aggregates and the hub in that order, so a hub listener can read a store that
 * already holds the change.
 */
import type { Aggregator } from './aggregates.js';
import { ClusterClient } from './client.js';
import type { EventHub } from './event-hub.js';
import { EventLog, type EventLogOptions } from './event-log.js';
import { Indexer } from './indexer.js';
import { type KindName, type KubeObjectOf, keyOf, kindOf, objectKey } from './kinds.js';
import {
  type Clock,
  Reflector,
  type ReflectorClient,
  type ReflectorOptions,
  type ReflectorSink,
  type ReflectorStatus,
} from './reflector.js';
import { type TransformFunc, transformObject } from './transform.js';

export interface InformerOptions<K extends KindName> {
  cluster: string;
  kind: K;
  client: ReflectorClient;
  hub: EventHub;
  /** Kept up to date from the kind's changes (pods' and jobs' numbers). */
  aggregates?: Aggregator<KubeObjectOf<K>>;
  /** Defaults to the kind's trimming transform; pass identity to measure its effect. */
  transform?: TransformFunc<K>;
  clock?: Clock;
  /** The retention log's bounds (its clock defaults to `clock`). */
  eventLog?: EventLogOptions;
  reflector?: Pick<
    ReflectorOptions<K>,
    | 'pageSize'
    | 'watchTimeoutSeconds'
    | 'backoff'
    | 'livenessMs'
    | 'staleAfterDisconnectMs'
    | 'onError'
    | 'onRecovered'
  >;
}

export interface InformerStatus extends ReflectorStatus {
  kind: KindName;
  objects: number;
}

function rvOf(obj: { metadata?: { resourceVersion?: string } }): string | undefined {
  return obj.metadata?.resourceVersion;
}

export class Informer<K extends KindName> implements ReflectorSink<K> {
  readonly store: Indexer<KubeObjectOf<K>>;
  readonly reflector: Reflector<K>;
  /** Every event published, kept for resuming subscriptions (event-log.ts). */
  readonly log: EventLog<K>;
  /** The kind's trim (or the caller's transform, which gets no `previous`). */
  private readonly transform: (obj: KubeObjectOf<K>, previous?: KubeObjectOf<K>) => KubeObjectOf<K>;
  private readonly transformRaw: (
    raw: Record<string, unknown>,
    previous?: KubeObjectOf<K>,
  ) => KubeObjectOf<K>;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(private readonly options: InformerOptions<K>) {
    this.store = new Indexer(kindOf(options.kind).indexers);
    const kind = options.kind;
    const custom = options.transform;
    // A new version shares the stored one's unchanged parts (adopt.ts): `previous`.
    this.transform = custom
      ? (obj) => custom(obj)
      : (obj, previous) => transformObject(kind, obj, {}, previous);
    // The kind's trim reads plain JSON as well as model objects (timestamps as strings or
    // Dates, transform.ts) and gives the same result: listed pages skip the models. A
    // transform of the caller's own gets the model objects it was written for.
    this.transformRaw = custom
      ? (raw) => custom(ClusterClient.deserialize(kind, raw))
      : (raw, previous) => transformObject(kind, raw as unknown as KubeObjectOf<K>, {}, previous);
    this.log = new EventLog<K>({ clock: options.clock, ...options.eventLog });
    this.reflector = new Reflector({
      kind: options.kind,
      cluster: options.cluster,
      client: options.client,
      sink: this,
      clock: options.clock,
      ...options.reflector,
    });
  }

  get kind(): K {
    return this.options.kind;
  }

  get hasSynced(): boolean {
    return this.reflector.synced;
  }

  status(): InformerStatus {
    return { ...this.reflector.status, kind: this.options.kind, objects: this.store.size };
  }

  start(): void {
    this.reflector.start();
  }

  stop(): Promise<void> {
    return this.reflector.stop();
  }

  /** The initial LIST in flight now, if one is (Reflector.initialListInFlight). */
  initialListInFlight(): Promise<boolean> | undefined {
    return this.reflector.initialListInFlight();
  }

  /** The first initial LIST, whenever it starts (Reflector.firstInitialList). */
  firstInitialList(): Promise<boolean> {
    return this.reflector.firstInitialList();
  }

  /** Resolves once the first list has been stored. */
  waitForSync(): Promise<void> {
    if (this.hasSynced) return Promise.resolve();
    return new Promise((resolve) => {
      this.syncWaiters.push(resolve);
    });
  }

  /**
   * Bumped on every change to the store: derived values (a cluster summary over every
   * node and job) can be memoised until it moves instead of recomputed per request.
   */
  get generation(): number {
    return this.changes;
  }

  private changes = 0;

  /** Listed objects are transformed page by page as they arrive (see ReflectorSink.prepare). */
  prepare(raw: KubeObjectOf<K>): KubeObjectOf<K> {
    return this.transform(raw, this.#stored(raw));
  }

  /** A listed object from its plain JSON (see ReflectorSink.prepareRaw). */
  prepareRaw(raw: Record<string, unknown>): KubeObjectOf<K> {
    return this.transformRaw(raw, this.#stored(raw));
  }

  /** `items` have been through prepare() already: the reflector transforms each page as it arrives. */
  replace(items: KubeObjectOf<K>[], resourceVersion: string): void {
    const next = items;
    const previous = new Map<string, KubeObjectOf<K>>();
    for (const obj of this.store.list()) previous.set(objectKey(obj), obj);
    this.store.replace(next);
    this.changes += 1;
    const { aggregates } = this.options;
    aggregates?.reset(next);
    // Before the synthetic events: a resume from before this list is expired, and the
    // diff below is not logged (its events all carry the list's resourceVersion).
    this.log.reset(resourceVersion);
    // The synthetic events that bring every consumer from the old state to the new one.
    for (const obj of next) {
      const key = objectKey(obj);
      const old = previous.get(key);
      previous.delete(key);
      if (!old) this.publish('ADDED', obj, undefined, resourceVersion);
      else if (rvOf(old) !== rvOf(obj)) this.publish('MODIFIED', obj, old, resourceVersion);
    }
    for (const old of previous.values()) this.publish('DELETED', old, undefined, resourceVersion);
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  added(obj: KubeObjectOf<K> | Record<string, unknown>, raw = false): void {
    this.upsert(this.#trim(obj, raw));
  }

  modified(obj: KubeObjectOf<K> | Record<string, unknown>, raw = false): void {
    this.upsert(this.#trim(obj, raw));
  }

  deleted(given: KubeObjectOf<K> | Record<string, unknown>, raw = false): void {
    const obj = this.#trim(given, raw);
    const old = this.store.delete(objectKey(obj));
    this.changes += 1;
    this.applyAggregates(old, undefined);
    // The deletion's resourceVersion (the DELETED event carries it, as kube-apiserver's does).
    this.log.append('DELETED', obj, old, rvOf(obj) ?? '');
    this.publish('DELETED', obj, old, rvOf(obj));
  }

  /**
   * A watched object trimmed: from its plain JSON (`raw`) or from a client-node model. A new
   * version shares the stored one's unchanged parts (adopt.ts), and so does a deletion's last
   * state, which the retention log keeps beside the version it removed.
   */
  #trim(obj: KubeObjectOf<K> | Record<string, unknown>, raw: boolean): KubeObjectOf<K> {
    const previous = this.#stored(obj);
    return raw
      ? this.transformRaw(obj as Record<string, unknown>, previous)
      : this.transform(obj as KubeObjectOf<K>, previous);
  }

  /** The stored version of the object `obj` is a version of (by namespace and name), if any. */
  #stored(obj: { metadata?: unknown }): KubeObjectOf<K> | undefined {
    const meta = obj.metadata as { name?: unknown; namespace?: unknown } | undefined;
    const name = meta?.name;
    if (typeof name !== 'string' || name === '' || this.store.size === 0) return undefined;
    const namespace = meta?.namespace;
    return this.store.get(keyOf(typeof namespace === 'string' ? namespace : undefined, name));
  }

  private upsert(obj: KubeObjectOf<K>): void {
    const old = this.store.update(obj);
    this.changes += 1;
    this.applyAggregates(old, obj);
    // Logged before it is published: a subscriber joining the hub and reading the log in
    // one synchronous step sees every event exactly once, in one or the other.
    this.log.append(old ? 'MODIFIED' : 'ADDED', obj, old, rvOf(obj) ?? '');
    this.publish(old ? 'MODIFIED' : 'ADDED', obj, old, rvOf(obj));
  }

  private applyAggregates(prev: KubeObjectOf<K> | undefined, next: KubeObjectOf<K> | undefined): void {
    this.options.aggregates?.apply(prev, next);
  }

  private publish(
    type: 'ADDED' | 'MODIFIED' | 'DELETED',
    object: KubeObjectOf<K>,
    previous: KubeObjectOf<K> | undefined,
    resourceVersion: string | undefined,
  ): void {
    this.options.hub.publish({
      cluster: this.options.cluster,
      kind: this.options.kind,
      type,
      object,
      previous,
      resourceVersion: resourceVersion ?? rvOf(object) ?? '',
    });
  }
}
