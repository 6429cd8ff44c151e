/**
 * In-process pub/sub between the informers and the subscription resolvers.
 *
 * Listeners are bucketed by (cluster, kind, namespace) with wildcards, so publishing looks at
 * six buckets — the object's cluster, kind and namespace, any namespace, any cluster (with
 * and without the namespace), any kind, everything — whatever the number of subscribers
 * elsewhere. A thousand live pages each watching its own namespace cost a change in another
 * namespace nothing, as kube-apiserver's watch cache triggers a watcher only for the index
 * values it asked for (`IndexerFuncs`, pods by `spec.nodeName`). Delivery is synchronous, in
 * subscription order within a bucket; buffering, backpressure and authorisation are the
 * subscriber's job (see schema/ subscriptions).
 */
import type { KindName, KubeObjectOf } from './kinds.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * One change in one cluster's mirror. `object` is the stored (trimmed, frozen) object; for
 * DELETED it is the last known state. `previous` is the object it replaced, when known.
 * `resourceVersion` is the object's, or for a relist the list's.
 */
export interface KubeEvent<K extends KindName = KindName> {
  cluster: string;
  kind: K;
  type: WatchEventType;
  object: KubeObjectOf<K>;
  previous?: KubeObjectOf<K>;
  resourceVersion: string;
}

/** KubeEvent<K> distributed over a union of kinds, so `ev.kind === 'Pod'` narrows `ev.object`. */
export type KubeEventOf<K extends KindName> = K extends KindName ? KubeEvent<K> : never;

/**
 * Everything the hub carries. A union on purpose: a cluster status event
 * (`{ cluster, kind, type: 'STATUS', status }`) can be added here later without touching the
 * dispatch, which only reads `cluster` and `kind`.
 */
export type HubEvent = KubeEventOf<KindName>;

export interface SubscriptionFilter<K extends KindName = KindName> {
  /** Omitted: every cluster. */
  cluster?: string;
  /** Omitted: every kind. */
  kind?: K;
  /**
   * Only changes of objects in this namespace (with a `kind`: a namespace is immutable, so an
   * object's changes, its DELETED included, are all in one). Omitted: every namespace and
   * cluster-scoped objects.
   */
  namespace?: string;
}

/** A returned promise is not awaited, but its rejection is reported like a throw. */
export type HubListener<K extends KindName = KindName> = (event: KubeEventOf<K>) => unknown;

export interface EventHubOptions {
  /** Called when a listener throws or rejects; the other listeners still get the event. Defaults to console.error. */
  onListenerError?: (error: unknown, event: HubEvent) => void;
}

interface Subscription {
  readonly listener: HubListener;
  active: boolean;
}

// The wildcard and the separator are control characters, which no cluster or kind name contains.
const ANY = '\u0001';

export class EventHub {
  /**
   * Bucket key → subscriptions. Buckets are replaced, not mutated, on (un)subscribe, so a
   * publish iterates a stable array without copying it, even if listeners (un)subscribe.
   */
  readonly #buckets = new Map<string, readonly Subscription[]>();
  readonly #onError: (error: unknown, event: HubEvent) => void;
  #count = 0;
  /** Subscriptions with a namespace: while there are none, publishing skips those buckets. */
  #namespaced = 0;

  constructor(options: EventHubOptions = {}) {
    this.#onError =
      options.onListenerError ?? ((error) => console.error('kubegate: event hub listener failed', error));
  }

  /** Delivers `event` to every matching listener, synchronously; never throws because of a listener. */
  publish<K extends KindName>(event: KubeEvent<K>): void {
    // Generic so an informer typed by its own K can publish; listeners see the kind-narrowable union.
    this.#dispatch(event as unknown as HubEvent);
  }

  #dispatch(event: HubEvent): void {
    const { cluster, kind } = event;
    const namespace = event.object?.metadata?.namespace;
    if (namespace !== undefined && this.#namespaced > 0) {
      this.#deliver(bucketKey(cluster, kind, namespace), event);
      this.#deliver(bucketKey(ANY, kind, namespace), event);
    }
    this.#deliver(bucketKey(cluster, kind), event);
    this.#deliver(bucketKey(cluster, ANY), event);
    this.#deliver(bucketKey(ANY, kind), event);
    this.#deliver(bucketKey(ANY, ANY), event);
  }

  /** Registers `listener` for events matching `filter`; returns an idempotent unsubscribe. */
  subscribe<K extends KindName = KindName>(
    filter: SubscriptionFilter<K>,
    listener: HubListener<K>,
  ): () => void {
    if (filter.namespace !== undefined && filter.kind === undefined)
      throw new TypeError('EventHub.subscribe: a namespace filter needs a kind');
    const key = bucketKey(filter.cluster ?? ANY, filter.kind ?? ANY, filter.namespace);
    const sub: Subscription = { listener: listener as HubListener, active: true };
    this.#buckets.set(key, [...(this.#buckets.get(key) ?? []), sub]);
    this.#count++;
    if (filter.namespace !== undefined) this.#namespaced++;
    return () => {
      if (!sub.active) return;
      sub.active = false; // also stops delivery of an event being published right now
      this.#count--;
      if (filter.namespace !== undefined) this.#namespaced--;
      const rest = (this.#buckets.get(key) ?? []).filter((s) => s !== sub);
      if (rest.length === 0) this.#buckets.delete(key);
      else this.#buckets.set(key, rest);
    };
  }

  /** Active subscriptions, over all filters. */
  listenerCount(): number {
    return this.#count;
  }

  #deliver(key: string, event: HubEvent): void {
    const subs = this.#buckets.get(key);
    if (subs === undefined) return;
    for (const sub of subs) {
      if (!sub.active) continue;
      try {
        const result = sub.listener(event);
        if (isThenable(result)) {
          result.then(undefined, (error: unknown) => this.#report(error, event));
        }
      } catch (error) {
        this.#report(error, event);
      }
    }
  }

  #report(error: unknown, event: HubEvent): void {
    try {
      this.#onError(error, event);
    } catch {
      // An error reporter that throws must not break delivery to the remaining listeners.
    }
  }
}

function bucketKey(cluster: string, kind: string, namespace?: string): string {
  return namespace === undefined ? `${cluster}\u0000${kind}` : `${cluster}\u0000${kind}\u0000${namespace}`;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}
