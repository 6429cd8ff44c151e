/**
 * The keys loaders are asked for, their DataLoader cache keys, and the grouping a batch
 * applies when it answers many keys from one read. What a key MEANS (which objects match)
 * is decided once, in kube/query.ts, for every path.
 */
import type { KindName, KubeObjectOf } from '../kube/kinds.js';
import { compileQuery, type ObjectQuery, queryKey } from '../kube/query.js';

export type AnyObject = KubeObjectOf<KindName>;

/**
 * A filtered list of one kind in one cluster: what a connection field asks for. Besides
 * `namespace`, `labelSelector` and `search`, the kind's own filters by name (a pod's
 * `nodeName`, `jobName`, `phase`; a job's `state`; an event's `type`, `reason`,
 * `involvedKind`, `involvedName`; see the registry, kube/kinds/*.ts).
 */
export type ListKey = ObjectQuery & { cluster: string; kind: KindName };

/** One object by name. */
export interface ObjectKey {
  cluster: string;
  kind: KindName;
  namespace?: string;
  name: string;
}

export const listCacheKey = (k: ListKey): string => `${k.cluster}\u0000${queryKey(k.kind, k)}`;

export const objectCacheKey = (k: ObjectKey): string =>
  JSON.stringify([k.cluster, k.kind, k.namespace ?? null, k.name]);

/** A ListKey's filters, compiled once per key so matching a LIST of 10k objects stays cheap. */
export type Matcher = (obj: AnyObject) => boolean;

export function compileMatcher(key: ListKey): Matcher {
  return compileQuery(key.kind, key) as Matcher;
}

/** Indexes of `keys` grouped by what one upstream call can serve: (cluster, kind). */
export function groupBy<K>(keys: readonly K[], by: (key: K) => string): number[][] {
  const groups = new Map<string, number[]>();
  keys.forEach((key, i) => {
    const g = by(key);
    const list = groups.get(g);
    if (list) list.push(i);
    else groups.set(g, [i]);
  });
  return [...groups.values()];
}

/** The one namespace all keys share, or undefined when they span namespaces (or have none). */
export function commonNamespace(keys: readonly { namespace?: string }[]): string | undefined {
  const first = keys[0]?.namespace;
  return first !== undefined && keys.every((k) => k.namespace === first) ? first : undefined;
}
