/**
 * What a subscription resolver may start: a relay of one kind's object events, filtered by
 * its query and by the principal's `watch` right; or a listener for the changes of a
 * cluster (to recompute a live value). Built per context, over the directory the resolver
 * never sees.
 *
 * Rights are checked on every event, against the access the principal has now (compiled
 * once per RBAC change, not per event), so a revoked binding stops the events as soon as
 * the gateway has seen its deletion; and when a subscription may no longer watch anything
 * it asked for, it ends with FORBIDDEN.
 */
import { forbidden } from '../errors.js';
import type { Clock } from '../kube/clock.js';
import type { HubEvent } from '../kube/event-hub.js';
import { ACCESS_KINDS, KIND_INFO, type KindName, type KubeObjectOf } from '../kube/kinds.js';
import { compileQuery, compileSameMatch, type ObjectQuery, queryKey } from '../kube/query.js';
import { ClusterReader } from '../kube/reader.js';
import {
  type AccessReviews,
  type ClusterAccess,
  REVIEW_TTL_MS,
  type ReadVerb,
  requestNamespace,
} from './access.js';
import { accessNow } from './catalog.js';
import type { ClusterDirectory } from './directory.js';
import type { EventQueue } from './event-queue.js';
import { type Principal, principalKey } from './principal.js';
import { readError } from './reads.js';
import { type ObjectEvent, objectEventStream, selectionComparator } from './streams.js';

export interface ObjectSubscription<K extends KindName> {
  kind: K;
  /** Already checked against the principal (ClusterCatalog.targets). */
  clusters: readonly string[];
  query: ObjectQuery;
  initial: boolean;
  /** Resume after this resourceVersion of the one cluster (streams.ts `since`). */
  since?: string;
  /**
   * The fields the subscriber selected, and what each reads of the object: a MODIFIED is
   * sent only when one of them changed. Undefined: every change is sent.
   */
  selection?: { fields: readonly string[]; dependencies: Readonly<Record<string, (obj: never) => unknown>> };
}

export interface Subscriptions {
  /**
   * Starts relaying; the queue is the subscription's async iterator (SLOW_CONSUMER ends it;
   * FORBIDDEN when the principal may not, or may no longer, watch what it asked for).
   */
  objects<K extends KindName>(options: ObjectSubscription<K>): Promise<EventQueue<ObjectEvent<K>>>;
  /**
   * Calls `listener` on every change in `cluster` that the principal may see (and, for an
   * identity, on every change of the cluster's RBAC objects), until the returned function
   * is called.
   */
  changes(cluster: string, listener: (event: HubEvent) => void): () => void;
}

export interface SubscriptionSettings {
  /** Live events that may wait for one subscriber before it is cut off (SLOW_CONSUMER). */
  queueLimit: number;
  /** How long an initial snapshot waits for its clusters to sync (streams.ts's default otherwise). */
  syncTimeoutMs?: number | undefined;
  /** Answers of SubjectAccessReviews (clusters with `authorization: subjectAccessReview`). */
  reviews?: AccessReviews;
  /** Re-asks those reviews of live subscriptions on it. */
  clock?: Clock;
}

type Meta = { metadata?: { namespace?: string; name?: string } };

function allowed(access: ClusterAccess, verb: ReadVerb, kind: KindName, obj: Meta): boolean {
  return access.all(verb, kind) || access.allows(verb, kind, requestNamespace(kind, obj));
}

/** Whether the principal may watch anything of what a subscription asks in one cluster. */
function mayWatch(access: ClusterAccess, kind: KindName, query: ObjectQuery): boolean {
  if (!access.any) return false;
  if (access.all('watch', kind)) return true;
  if (query.namespace !== undefined) return access.allows('watch', kind, query.namespace);
  return access.namespaces('watch', kind).length > 0;
}

function revoked(kind: KindName, clusters: readonly string[]) {
  return forbidden(
    `the caller may no longer watch ${KIND_INFO[kind].plural} here: its access changed (${clusters.length === 1 ? `cluster "${clusters[0]}"` : 'every cluster subscribed'})`,
    { clusters: [...clusters] },
  );
}

/**
 * Callbacks run when any RBAC object of a cluster changes: one hub listener per (cluster,
 * RBAC kind) for all subscriptions, so a thousand live identities cost four listeners.
 */
const accessWatchers = new WeakMap<object, Map<string, { callbacks: Set<() => void>; stop: () => void }>>();

export function onAccessChange(
  directory: ClusterDirectory,
  cluster: string,
  callback: () => void,
): () => void {
  const hub = directory.hub;
  let byCluster = accessWatchers.get(hub);
  if (!byCluster) {
    byCluster = new Map();
    accessWatchers.set(hub, byCluster);
  }
  let watch = byCluster.get(cluster);
  if (!watch) {
    const callbacks = new Set<() => void>();
    const stops = ACCESS_KINDS.map((kind) =>
      hub.subscribe({ cluster, kind }, () => {
        for (const cb of [...callbacks]) cb();
      }),
    );
    watch = {
      callbacks,
      stop: () => {
        for (const stop of stops) stop();
      },
    };
    byCluster.set(cluster, watch);
  }
  const current = watch;
  current.callbacks.add(callback);
  return () => {
    current.callbacks.delete(callback);
    if (current.callbacks.size === 0 && byCluster.get(cluster) === current) {
      current.stop();
      byCluster.delete(cluster);
    }
  };
}

export function createSubscriptions(
  directory: ClusterDirectory,
  principal: Principal,
  settings: SubscriptionSettings,
): Subscriptions {
  const accessOf = (cluster: string) => accessNow(directory, principal, cluster, settings.reviews);
  /** What a subscription needs decided (a no-op where decisions are in memory). */
  const prepare = async (clusters: readonly string[], kind: KindName, query: ObjectQuery, fresh = false) => {
    await Promise.all(
      clusters.map((c) =>
        accessOf(c).prepare?.(
          [
            { verb: 'watch', kind },
            ...(query.namespace !== undefined
              ? [{ verb: 'watch' as const, kind, namespace: query.namespace }]
              : []),
          ],
          fresh,
        ),
      ),
    );
  };
  return Object.freeze({
    async objects<K extends KindName>(options: ObjectSubscription<K>) {
      const { kind, selection, query } = options;
      const clusters = options.clusters;
      const permitted = () => clusters.some((c) => mayWatch(accessOf(c), kind, query));
      try {
        await prepare(clusters, kind, query);
      } catch (err) {
        throw readError(
          err,
          clusters[0] ?? '',
          'asking the API server what the caller may watch (SubjectAccessReview)',
        );
      }
      if (clusters.length > 0 && !permitted())
        throw forbidden(`the caller may not watch ${KIND_INFO[kind].plural} in what it asked for`);
      const match = compileQuery(kind, query);
      const sameInputs = compileSameMatch(kind, query);
      const shareKey = JSON.stringify([
        queryKey(kind, query),
        [...clusters].sort(),
        principalKey(principal),
        selection ? [...selection.fields].sort() : '*',
      ]);
      const queue = await objectEventStream({
        shareKey,
        hub: directory.hub,
        reader: (name) => {
          const cluster = directory.get(name);
          return cluster ? new ClusterReader(cluster) : undefined;
        },
        kind,
        clusters,
        // The rights now, on every event: a revoked binding stops events at once.
        matches: (obj: KubeObjectOf<K>, cluster: string) =>
          allowed(accessOf(cluster), 'watch', kind, obj) && match(obj),
        // The rights read the object's namespace only, which `sameInputs` compares.
        sameMatch: sameInputs,
        // `match` holds every object to the query's namespace.
        namespace: KIND_INFO[kind].namespaced ? query.namespace : undefined,
        changed: selection
          ? selectionComparator(selection.fields, selection.dependencies as never)
          : undefined,
        initial: options.initial,
        since: options.since,
        queueLimit: settings.queueLimit,
        syncTimeoutMs: settings.syncTimeoutMs,
      });
      // Identities' rights move with the cluster's RBAC: when none of what was asked may be
      // watched any more, the subscription ends with FORBIDDEN.
      if (principal.user) {
        const check = () => {
          if (!permitted()) queue.fail(revoked(kind, clusters));
        };
        const stops = clusters.map((cluster) => onAccessChange(directory, cluster, check));
        // Where the API server decides, nothing announces a change: ask again, as often as
        // an answer is reused. A failed review keeps the last answer (the cluster is down).
        const clock = settings.clock;
        const reviewed = clusters.some((c) => accessOf(c).prepare !== undefined);
        if (reviewed && clock) {
          const timer = clock.setInterval(() => {
            prepare(clusters, kind, query, true).then(check, () => undefined);
          }, REVIEW_TTL_MS);
          stops.push(() => clock.clearInterval(timer));
        }
        queue.onEnd(() => {
          for (const stop of stops) stop();
        });
      }
      return queue;
    },
    changes(cluster: string, listener: (event: HubEvent) => void) {
      return directory.hub.subscribe({ cluster }, (event) => {
        if (KIND_INFO[event.kind].access) {
          // An identity's rights may have changed: its live values are computed again (and
          // end FORBIDDEN where it may read nothing any more). The event carries no data.
          if (principal.user) listener(event);
          return;
        }
        const access = accessOf(cluster);
        if (allowed(access, 'watch', event.kind, event.object)) listener(event);
        else if (event.previous && allowed(access, 'watch', event.kind, event.previous)) listener(event);
      });
    },
  });
}
