/**
 * Subscription sources: the informers' event hub relayed to one subscriber, filtered,
 * authorised and bounded. One upstream watch per (cluster, kind) serves every
 * subscriber; each subscriber costs one hub listener and one bounded queue.
 *
 * - A MODIFIED that moves an object into (out of) the subscriber's filter is sent as
 *   ADDED (DELETED), as a filtered Kubernetes watch does.
 * - `changed(prev, next)` decides whether a MODIFIED is worth sending (selection-based
 *   change filtering); without it every change is sent.
 * - `initial` snapshots the store and subscribes in the same synchronous step, so no
 *   change is lost or duplicated between the snapshot and the live events.
 */
import { badUserInput } from '../errors.js';
import type { Cluster } from '../kube/cluster.js';
import type { KindName, KubeObjectOf } from '../kube/kinds.js';
import type { ClusterDirectory } from './directory.js';
import { EventQueue } from './event-queue.js';

export type ObjectEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ObjectEvent<K extends KindName> {
  type: ObjectEventType;
  cluster: string;
  resourceVersion: string;
  object: KubeObjectOf<K>;
}

export interface ObjectStreamOptions<K extends KindName> {
  directory: ClusterDirectory;
  kind: K;
  /** The clusters to relay, already checked against the principal. */
  clusters: readonly string[];
  /** The subscriber's filter, principal's namespaces included. */
  matches: (obj: KubeObjectOf<K>, cluster: string) => boolean;
  /** Whether a MODIFIED matters to this subscriber; undefined: every change does. */
  changed?: (prev: KubeObjectOf<K>, next: KubeObjectOf<K>) => boolean;
  initial: boolean;
  /** Live events that may wait for a slow subscriber before it is cut off. */
  queueLimit: number;
  /** How long `initial` waits for a cache to sync. */
  syncTimeoutMs?: number;
}

/** Starts relaying; the returned queue is the subscription's async iterator. */
export async function objectEventStream<K extends KindName>(
  options: ObjectStreamOptions<K>,
): Promise<EventQueue<ObjectEvent<K>>> {
  const { directory, kind, matches, changed } = options;
  const clusters = new Set(options.clusters);
  if (options.initial) {
    // A snapshot needs synced stores; wait for them (bounded) before subscribing.
    const waiting = [...clusters]
      .map((name) => directory.get(name))
      .filter((c): c is Cluster => c !== undefined);
    const synced = await Promise.all(waiting.map((c) => c.waitForSync(options.syncTimeoutMs ?? 30_000)));
    const unsynced = waiting.filter((_, i) => !synced[i]).map((c) => c.name);
    if (unsynced.length) {
      throw badUserInput(
        `initial: true needs a synced cache, but ${unsynced.map((n) => `"${n}"`).join(', ')} has none (not synced yet, or --no-cache); subscribe without initial`,
      );
    }
  }
  let unsubscribe: (() => void) | undefined;
  const queue = new EventQueue<ObjectEvent<K>>({ limit: options.queueLimit, onClose: () => unsubscribe?.() });
  const push = (type: ObjectEventType, cluster: string, object: KubeObjectOf<K>, resourceVersion: string) =>
    queue.push({ type, cluster, object, resourceVersion });

  unsubscribe = directory.hub.subscribe({ kind }, (event) => {
    if (!clusters.has(event.cluster) || event.kind !== kind) return;
    const next = event.object as KubeObjectOf<K>;
    const prev = event.previous as KubeObjectOf<K> | undefined;
    const rv = event.resourceVersion;
    const now = matches(next, event.cluster);
    switch (event.type) {
      case 'ADDED':
        if (now) push('ADDED', event.cluster, next, rv);
        break;
      case 'DELETED':
        if (now || (prev && matches(prev, event.cluster))) push('DELETED', event.cluster, next, rv);
        break;
      case 'MODIFIED': {
        const before = prev ? matches(prev, event.cluster) : now;
        if (now && before) {
          if (!prev || !changed || changed(prev, next)) push('MODIFIED', event.cluster, next, rv);
        } else if (now) push('ADDED', event.cluster, next, rv);
        else if (before) push('DELETED', event.cluster, next, rv);
        break;
      }
    }
  });

  if (options.initial) {
    // Same synchronous step as the subscription above: nothing can happen in between.
    const snapshot: ObjectEvent<K>[] = [];
    for (const name of clusters) {
      const cluster = directory.get(name);
      const store = cluster?.informers?.[kind].store;
      if (!store) continue;
      for (const obj of store.list() as KubeObjectOf<K>[]) {
        if (matches(obj, name)) {
          snapshot.push({
            type: 'ADDED',
            cluster: name,
            object: obj,
            resourceVersion: obj.metadata?.resourceVersion ?? '',
          });
        }
      }
    }
    queue.reserve(snapshot.length);
    for (const event of snapshot) queue.push(event);
  }
  return queue;
}

/**
 * Builds `changed(prev, next)` from what the subscriber selected: each selected field
 * names the parts of the object it reads; a MODIFIED is sent when one of them differs.
 * A selected field with no declared dependency is compared on the whole object minus
 * resourceVersion, so nothing a subscriber asked for is ever missed.
 */
export function selectionComparator<T extends { metadata?: { resourceVersion?: string } }>(
  selected: readonly string[],
  dependencies: Readonly<Record<string, (obj: T) => unknown>>,
): (prev: T, next: T) => boolean {
  const readers = selected.map((field) => dependencies[field] ?? withoutResourceVersion);
  return (prev, next) => readers.some((read) => !sameValue(read(prev), read(next)));
}

function withoutResourceVersion(obj: { metadata?: { resourceVersion?: string } }): unknown {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined } };
}

/** Structural equality of JSON-like values (objects from the store are frozen trees). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => sameValue(v, bb[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return (
    ka.length === kb.length &&
    ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}
