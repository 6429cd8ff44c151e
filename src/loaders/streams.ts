/**
 * Subscription sources: the informers' event hub relayed to one subscriber, filtered,
 * authorised and bounded. One upstream watch per (cluster, kind) serves every
 * subscriber; subscribers with the same filters, principal and selection share one hub
 * listener (a relay), and each has its own bounded queue.
 *
 * - A MODIFIED that moves an object into (out of) the subscriber's filter is sent as
 *   ADDED (DELETED), as a filtered Kubernetes watch does.
 * - `changed(prev, next)` decides whether a MODIFIED is worth sending (selection-based
 *   change filtering); without it every change is sent.
 * - `initial` snapshots the store and subscribes in the same synchronous step, so no
 *   change is lost or duplicated between the snapshot and the live events.
 * - `since` (a resume) replays the cluster's retention log after that resourceVersion and
 *   subscribes in the same synchronous step, each logged event judged as a live one is
 *   (filters, rights now, selection); live events at or below what was replayed (a replica
 *   whose informer is behind the one the client came from) are dropped.
 */
import { badUserInput, resumeExpired } from '../errors.js';
import type { EventHub, HubEvent, WatchEventType } from '../kube/event-hub.js';
import { parseResourceVersion } from '../kube/event-log.js';
import type { KindName, KubeObjectOf } from '../kube/kinds.js';
import type { ClusterReader } from '../kube/reader.js';
import { DEFAULT_SNAPSHOT_SYNC_TIMEOUT_MS } from './defaults.js';
import { EventQueue } from './event-queue.js';
import { readError } from './reads.js';

export { DEFAULT_SNAPSHOT_SYNC_TIMEOUT_MS };

export type ObjectEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ObjectEvent<K extends KindName> {
  type: ObjectEventType;
  cluster: string;
  resourceVersion: string;
  object: KubeObjectOf<K>;
  /**
   * One of an `initial` snapshot's objects: they come in no resourceVersion order, so a
   * client resumes only from a change's resourceVersion, never from a snapshot's.
   */
  snapshot?: true;
}

export interface ObjectStreamOptions<K extends KindName> {
  hub: EventHub;
  /** The reader of a cluster (for `initial`: its sync and its snapshot); undefined when it is gone. */
  reader: (name: string) => ClusterReader | undefined;
  kind: K;
  /** The clusters to relay, already checked against the principal. */
  clusters: readonly string[];
  /** The subscriber's filter, principal's namespaces included. */
  matches: (obj: KubeObjectOf<K>, cluster: string) => boolean;
  /**
   * The one namespace every object `matches` accepts is in, when the filter names one: the
   * relay then hears only that namespace's changes. Undefined: every namespace.
   */
  namespace?: string;
  /**
   * True when `matches` must answer alike for the two versions of one object (nothing it
   * reads differs, rights included): a change then needs no filter for its version before.
   * Undefined: both versions are always matched.
   */
  sameMatch?: (prev: KubeObjectOf<K>, next: KubeObjectOf<K>) => boolean;
  /** Whether a MODIFIED matters to this subscriber; undefined: every change does. */
  changed?: (prev: KubeObjectOf<K>, next: KubeObjectOf<K>) => boolean;
  initial: boolean;
  /**
   * Resume after this resourceVersion (one cluster only): the missed events from the
   * retention log, then live. RESUME_EXPIRED as the only result when it cannot be.
   */
  since?: string;
  /** Live events that may wait for a slow subscriber before it is cut off. */
  queueLimit: number;
  /** How long `initial` waits for a cache to sync. */
  syncTimeoutMs?: number;
  /**
   * Subscribers with equal keys share one hub listener and receive the same event
   * objects. The key must capture everything `clusters`, `matches` and `changed` depend
   * on (filters, principal, selection); undefined: not shared.
   */
  shareKey?: string;
}

/**
 * Subscribers with the same `shareKey` share one hub listener: the filter runs once per
 * change for all of them and they all receive the same event object, which lets the
 * executor compute one result per event for identical operations (see
 * server/shared-events.ts). A thousand identical live pages cost one match per change
 * instead of a thousand.
 */
interface Relay<K extends KindName> {
  readonly members: Set<EventQueue<ObjectEvent<K>>>;
  /** Resumed members: live events at or below this resourceVersion were replayed or seen already. */
  readonly floors: Map<EventQueue<ObjectEvent<K>>, bigint>;
  unsubscribe?: () => void;
  /** Its hub listeners: one per cluster relayed. */
  listeners: number;
}

const relays = new WeakMap<object, Map<string, Relay<KindName>>>();

/** Events pushed to every member of a relay: the same object for each of them. */
const sharedEvents = new WeakSet<object>();

/** Relays on a hub and the subscribers they serve (the kubegate_subscri* gauges on /metrics). */
export function relayStats(hub: object): { relays: number; subscribers: number; hubListeners: number } {
  let subscribers = 0;
  let hubListeners = 0;
  const byKey = relays.get(hub);
  for (const relay of byKey?.values() ?? []) {
    subscribers += relay.members.size;
    hubListeners += relay.listeners;
  }
  return { relays: byKey?.size ?? 0, subscribers, hubListeners };
}

/**
 * Marks an event object every subscriber of a stream receives as such (a log line), so
 * identical operations compute one result for it (server/shared-events.ts).
 */
export function shareEvent(value: object): void {
  sharedEvents.add(value);
}

/** Whether every subscriber of a relay got this very object (so results may be shared). */
export function isSharedEvent(value: unknown): boolean {
  return typeof value === 'object' && value !== null && sharedEvents.has(value);
}

/**
 * A member's `onClose`: it leaves its relay, and the last one out stops the relay. Made here
 * rather than inline in `objectEventStream` so that it holds only these three: a closure
 * keeps its whole scope's context alive, and that scope's holds the subscription's options
 * (its reader, matcher and filters). A live subscriber kept ~1.2 KiB more of the gateway's
 * heap that way (`SNAPSHOT=FILE PATHS=ResultStream npx tsx bench/subscriber-memory.ts 2000 ws`).
 */
function leaving(
  relay: Relay<KindName>,
  byKey: Map<string, Relay<KindName>>,
  key: string | undefined,
): (queue: object) => void {
  return (closed) => {
    const queue = closed as EventQueue<ObjectEvent<KindName>>;
    relay.members.delete(queue);
    relay.floors.delete(queue);
    if (relay.members.size > 0) return;
    relay.unsubscribe?.();
    if (key !== undefined && byKey.get(key) === relay) byKey.delete(key);
  };
}

/** Starts relaying; the returned queue is the subscription's async iterator. */
export async function objectEventStream<K extends KindName>(
  options: ObjectStreamOptions<K>,
): Promise<EventQueue<ObjectEvent<K>>> {
  const { kind } = options;
  const clusters = new Set(options.clusters);
  const resuming = options.since !== undefined;
  if (resuming && clusters.size !== 1)
    throw badUserInput('sinceResourceVersion needs exactly one cluster: pass `cluster`');
  if (options.initial || resuming) {
    // A snapshot or a resume needs synced stores; wait for them (bounded) before subscribing.
    const waiting = [...clusters]
      .map((name) => options.reader(name))
      .filter((c): c is ClusterReader => c !== undefined);
    const timeoutMs = options.syncTimeoutMs ?? DEFAULT_SNAPSHOT_SYNC_TIMEOUT_MS;
    const synced = await Promise.all(waiting.map((c) => c.waitForSync(timeoutMs, [kind])));
    const unsynced = waiting.filter((_, i) => !synced[i]).map((c) => c.name);
    if (unsynced.length) {
      const what = resuming ? 'sinceResourceVersion' : 'initial: true';
      throw badUserInput(
        `${what} needs a synced cache, but ${unsynced.map((n) => `"${n}"`).join(', ')} has none after ${timeoutMs / 1000} s (not synced yet, or --no-cache); subscribe without ${resuming ? 'it' : 'initial'}`,
      );
    }
  }
  const ahead = resuming ? await aheadOfCluster(options, [...clusters][0], options.since!) : undefined;
  const hub = options.hub;
  let byKey = relays.get(hub);
  if (!byKey) {
    byKey = new Map();
    relays.set(hub, byKey);
  }
  const key = options.shareKey;
  let relay = (key === undefined ? undefined : byKey.get(key)) as Relay<K> | undefined;
  if (!relay) {
    relay = { members: new Set(), floors: new Map(), listeners: clusters.size };
    const created = relay;
    created.unsubscribe = startRelay(options, clusters, created);
    if (key !== undefined) byKey.set(key, created as unknown as Relay<KindName>);
  }
  const joined = relay;
  const queue: EventQueue<ObjectEvent<K>> = new EventQueue<ObjectEvent<K>>({
    limit: options.queueLimit,
    onClose: leaving(joined as unknown as Relay<KindName>, byKey, key),
  });
  joined.members.add(queue);

  if (resuming) {
    // Same synchronous step as joining the relay: the informer logs each event before it
    // publishes it, so every event is either in the log now or delivered live later.
    const cluster = [...clusters][0];
    const answer = ahead ?? options.reader(cluster)?.resume(kind, options.since!);
    if (!answer?.ok) {
      const oldest = answer?.oldest ?? null;
      const why =
        answer === undefined
          ? `cluster "${cluster}" is not served from memory right now`
          : answer.reason === 'invalid'
            ? `sinceResourceVersion ${quoteRV(options.since!)} is not a resourceVersion this gateway can place (expected the decimal resourceVersion of an event)`
            : answer.reason === 'ahead'
              ? `sinceResourceVersion ${options.since} is ahead of cluster "${cluster}" (its current resourceVersion is ${answer.current})`
              : `sinceResourceVersion ${options.since} is older than the events kept for cluster "${cluster}"`;
      queue.fail(resumeExpired(why, { cluster, oldestResourceVersion: oldest }));
      return queue;
    }
    const replay: ObjectEvent<K>[] = [];
    let floor = answer.since;
    for (const logged of answer.events) {
      const type = classify(logged.type, logged.object, logged.previous, cluster, options);
      if (type)
        replay.push({ type, cluster, object: logged.object, resourceVersion: logged.resourceVersion });
      floor = logged.rv;
    }
    joined.floors.set(queue, floor);
    queue.reserve(replay.length);
    for (const event of replay) queue.push(event);
    return queue;
  }

  if (options.initial) {
    // Same synchronous step as joining the relay above: nothing can happen in between.
    const snapshot: ObjectEvent<K>[] = [];
    for (const name of clusters) {
      const objects = options.reader(name)?.snapshot(kind);
      if (!objects) continue;
      for (const obj of objects) {
        if (options.matches(obj, name)) {
          snapshot.push({
            type: 'ADDED',
            cluster: name,
            object: obj,
            resourceVersion: obj.metadata?.resourceVersion ?? '',
            snapshot: true,
          });
        }
      }
    }
    queue.reserve(snapshot.length);
    for (const event of snapshot) queue.push(event);
  }
  return queue;
}

/** The relay's one hub listener: filters each change once and hands the same event to every member. */
function startRelay<K extends KindName>(
  options: ObjectStreamOptions<K>,
  clusters: ReadonlySet<string>,
  relay: Relay<K>,
): () => void {
  const { kind } = options;
  const push = (type: ObjectEventType, cluster: string, object: KubeObjectOf<K>, resourceVersion: string) => {
    const event: ObjectEvent<K> = { type, cluster, object, resourceVersion };
    // Shared only when there is someone to share with: the memo of a result per event
    // (a WeakMap entry and a Map per event) is pure cost for a relay of one subscriber,
    // which every distinct live page is.
    if (relay.members.size > 1) sharedEvents.add(event);
    // A member cut off here (SLOW_CONSUMER) leaves the set during the loop, which Sets allow.
    for (const queue of relay.members) {
      const floor = relay.floors.size > 0 ? relay.floors.get(queue) : undefined;
      if (floor !== undefined) {
        const rv = parseResourceVersion(resourceVersion);
        if (rv !== undefined && rv <= floor) continue; // replayed, or seen where the client came from
        relay.floors.delete(queue); // resourceVersions only grow: no later event is below it
      }
      queue.push(event);
    }
  };
  // One hub listener per cluster (and per namespace when the filter names one): the hub then
  // hands this relay only the changes that can match, not every change of its kind in every
  // cluster (a fleet's fifty, or a thousand distinct pages' thousand filters per change).
  const listener = (event: HubEvent) => {
    if (!clusters.has(event.cluster) || event.kind !== kind) return;
    const next = event.object as KubeObjectOf<K>;
    const type = classify(
      event.type,
      next,
      event.previous as KubeObjectOf<K> | undefined,
      event.cluster,
      options,
    );
    if (type) push(type, event.cluster, next, event.resourceVersion);
  };
  const stops = [...clusters].map((cluster) =>
    options.hub.subscribe({ cluster, kind, namespace: options.namespace }, listener),
  );
  return () => {
    for (const stop of stops) stop();
  };
}

/**
 * What one change is to a subscriber (live or replayed from the log): a MODIFIED that
 * moves the object into (out of) its filter is ADDED (DELETED), as a filtered Kubernetes
 * watch says it; a MODIFIED that changes nothing it selected is nothing.
 */
function classify<K extends KindName>(
  type: WatchEventType,
  next: KubeObjectOf<K>,
  prev: KubeObjectOf<K> | undefined,
  cluster: string,
  { matches, changed, sameMatch }: Pick<ObjectStreamOptions<K>, 'matches' | 'changed' | 'sameMatch'>,
): ObjectEventType | undefined {
  if (type === 'MODIFIED' && prev && sameMatch?.(prev, next)) {
    // In the filter before and after, or out of it both times: the selection decides first,
    // so a change to nothing selected costs no filter at all. With 1,000 live pages of
    // distinct filters every change reaches 1,000 relays, and most changes (a pod's status)
    // move nothing a page shows (bench/results/fanout-layers.md, session 30).
    if (changed && !changed(prev, next)) return undefined;
    return matches(next, cluster) ? 'MODIFIED' : undefined;
  }
  const now = matches(next, cluster);
  switch (type) {
    case 'ADDED':
      return now ? 'ADDED' : undefined;
    case 'DELETED':
      return now || (prev && !sameMatch?.(prev, next) && matches(prev, cluster)) ? 'DELETED' : undefined;
    case 'MODIFIED': {
      const before = prev ? matches(prev, cluster) : now;
      if (now && before) return !prev || !changed || changed(prev, next) ? 'MODIFIED' : undefined;
      if (now) return 'ADDED';
      return before ? 'DELETED' : undefined;
    }
  }
}

type Ahead = { ok: false; reason: 'ahead'; oldest: string | undefined; current: string };

/**
 * A resourceVersion beyond what this replica's informer has seen is fine when it came from
 * another replica a little ahead (the events in between arrive live and are dropped), but
 * not when the cluster itself has not reached it: then it is made up, or from another
 * cluster. Asked of the API server only in that case (one one-item LIST).
 */
async function aheadOfCluster<K extends KindName>(
  options: ObjectStreamOptions<K>,
  cluster: string,
  since: string,
): Promise<Ahead | undefined> {
  const from = parseResourceVersion(since);
  const reader = options.reader(cluster);
  const seen = parseResourceVersion(reader?.informerResourceVersion(options.kind));
  if (from === undefined || !reader || seen === undefined || from <= seen) return undefined;
  let current: string;
  try {
    current = await reader.serverResourceVersion(options.kind);
  } catch (err) {
    throw readError(err, cluster, 'asking the API server for its current resourceVersion');
  }
  const server = parseResourceVersion(current);
  if (server !== undefined && from <= server) return undefined;
  return { ok: false, reason: 'ahead', oldest: reader.resume(options.kind, since)?.oldest, current };
}

function quoteRV(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
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
