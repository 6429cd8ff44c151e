/**
 * What a subscription resolver may start: a relay of one kind's object events, filtered by
 * its query and by the principal; or a listener for the changes of a cluster (to recompute
 * a live value). Built per context, over the directory the resolver never sees.
 */
import type { HubEvent } from '../kube/event-hub.js';
import { isNamespaced, type KindName, type KubeObjectOf } from '../kube/kinds.js';
import { compileQuery, type ObjectQuery, queryKey } from '../kube/query.js';
import { ClusterReader } from '../kube/reader.js';
import type { ClusterDirectory } from './directory.js';
import type { EventQueue } from './event-queue.js';
import { canSeeNamespace, type Principal, principalKey, seesAllNamespaces } from './principal.js';
import { type ObjectEvent, objectEventStream, selectionComparator } from './streams.js';

export interface ObjectSubscription<K extends KindName> {
  kind: K;
  /** Already checked against the principal (ClusterCatalog.targets). */
  clusters: readonly string[];
  query: ObjectQuery;
  initial: boolean;
  /**
   * The fields the subscriber selected, and what each reads of the object: a MODIFIED is
   * sent only when one of them changed. Undefined: every change is sent.
   */
  selection?: { fields: readonly string[]; dependencies: Readonly<Record<string, (obj: never) => unknown>> };
}

export interface Subscriptions {
  /** Starts relaying; the queue is the subscription's async iterator (SLOW_CONSUMER ends it). */
  objects<K extends KindName>(options: ObjectSubscription<K>): Promise<EventQueue<ObjectEvent<K>>>;
  /**
   * Calls `listener` on every change in `cluster` that the principal may see, until the
   * returned function is called.
   */
  changes(cluster: string, listener: (event: HubEvent) => void): () => void;
}

export interface SubscriptionSettings {
  /** Live events that may wait for one subscriber before it is cut off (SLOW_CONSUMER). */
  queueLimit: number;
}

export function createSubscriptions(
  directory: ClusterDirectory,
  principal: Principal,
  settings: SubscriptionSettings,
): Subscriptions {
  const visible = (kind: KindName, obj: { metadata?: { namespace?: string; name?: string } }) => {
    if (seesAllNamespaces(principal)) return true;
    if (kind === 'Namespace') return canSeeNamespace(principal, obj.metadata?.name);
    return !isNamespaced(kind) || canSeeNamespace(principal, obj.metadata?.namespace);
  };
  return Object.freeze({
    objects<K extends KindName>(options: ObjectSubscription<K>) {
      const { kind, selection } = options;
      const match = compileQuery(kind, options.query);
      const shareKey = JSON.stringify([
        queryKey(kind, options.query),
        [...options.clusters].sort(),
        principalKey(principal),
        selection ? [...selection.fields].sort() : '*',
      ]);
      return objectEventStream({
        shareKey,
        hub: directory.hub,
        reader: (name) => {
          const cluster = directory.get(name);
          return cluster ? new ClusterReader(cluster) : undefined;
        },
        kind,
        clusters: options.clusters,
        matches: (obj: KubeObjectOf<K>) => visible(kind, obj) && match(obj),
        changed: selection
          ? selectionComparator(selection.fields, selection.dependencies as never)
          : undefined,
        initial: options.initial,
        queueLimit: settings.queueLimit,
      });
    },
    changes(cluster: string, listener: (event: HubEvent) => void) {
      return directory.hub.subscribe({ cluster }, (event) => {
        if (visible(event.kind, event.object) || (event.previous && visible(event.kind, event.previous)))
          listener(event);
      });
    },
  });
}
