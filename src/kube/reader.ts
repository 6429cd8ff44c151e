/**
 * The read interface over one cluster: from the informer's indexes when it has synced,
 * otherwise (not yet synced, or the cache switched off) straight from the API server
 * with the selectors pushed down. Callers see the same shapes either way: trimmed,
 * frozen objects. Loaders batch onto this; resolvers never see it.
 */
import type { ClusterClient } from './client.js';
import type { Cluster } from './cluster.js';
import {
  INDEX_JOB_NAME,
  INDEX_LABEL,
  INDEX_NAMESPACE,
  INDEX_NODE_NAME,
  type ReadonlyIndexer,
} from './indexer.js';
import { type KindName, type KubeObjectOf, keyOf } from './kinds.js';
import {
  equalityPairs,
  formatLabelSelector,
  type LabelRequirement,
  matchLabels,
  parseLabelSelector,
} from './selector.js';
import { transformerFor } from './transform.js';

export interface ObjectQuery {
  /** Only objects of this namespace (namespaced kinds). */
  namespace?: string;
  /** Kubernetes label selector syntax; parse errors throw LabelSelectorError. */
  labelSelector?: string;
  /** Pods bound to this node. */
  nodeName?: string;
  /** Pods of this job (needs `namespace`). */
  jobName?: string;
  /** Pods in this phase. */
  phase?: string;
}

export interface ReadResult<T> {
  items: readonly T[];
  /** Where the answer came from: the informer's store, or a LIST to the API server. */
  source: 'cache' | 'api';
}

const DIRECT_PAGE_SIZE = 500;

export class ClusterReader {
  constructor(readonly cluster: Cluster) {}

  get name(): string {
    return this.cluster.name;
  }

  /** Whether `kind` is served from memory right now. */
  cached(kind: KindName): boolean {
    return this.cluster.isSynced(kind);
  }

  /** The informer's read-only store for `kind` when it has synced. */
  store<K extends KindName>(kind: K): ReadonlyIndexer<KubeObjectOf<K>> | undefined {
    return this.cached(kind)
      ? (this.cluster.informers![kind].store as ReadonlyIndexer<KubeObjectOf<K>>)
      : undefined;
  }

  async list<K extends KindName>(kind: K, query: ObjectQuery = {}): Promise<ReadResult<KubeObjectOf<K>>> {
    const labels = parseLabelSelector(query.labelSelector ?? '');
    const store = this.store(kind);
    if (store) return { items: listFromStore(store, kind, query, labels), source: 'cache' };
    return { items: await listDirect(this.cluster.client, kind, query, labels), source: 'api' };
  }

  async get<K extends KindName>(
    kind: K,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObjectOf<K> | undefined> {
    const store = this.store(kind);
    if (store) return store.get(keyOf(namespace, name));
    const obj = await this.cluster.client.get(kind, namespace, name);
    return obj ? transformerFor(kind)(obj) : undefined;
  }
}

/**
 * Picks the narrowest index the query allows (node, job, namespace, one label pair)
 * and filters the rest in memory, so a lookup costs O(matches of that index).
 */
function listFromStore<K extends KindName>(
  store: ReadonlyIndexer<KubeObjectOf<K>>,
  kind: K,
  query: ObjectQuery,
  labels: LabelRequirement[],
): readonly KubeObjectOf<K>[] {
  let candidates: readonly KubeObjectOf<K>[];
  const pairs = equalityPairs(labels);
  if (kind === 'Pod' && query.nodeName !== undefined)
    candidates = store.byIndex(INDEX_NODE_NAME, query.nodeName);
  else if (kind === 'Pod' && query.jobName !== undefined && query.namespace !== undefined) {
    candidates = store.byIndex(INDEX_JOB_NAME, `${query.namespace}/${query.jobName}`);
  } else if (pairs.length) {
    // The rarest pair narrows most.
    let best = pairs[0];
    for (const pair of pairs)
      if (store.countByIndex(INDEX_LABEL, pair) < store.countByIndex(INDEX_LABEL, best)) best = pair;
    candidates = store.byIndex(INDEX_LABEL, best);
  } else if (query.namespace !== undefined && store.hasIndex(INDEX_NAMESPACE)) {
    candidates = store.byIndex(INDEX_NAMESPACE, query.namespace);
  } else candidates = store.list();
  return candidates.filter((obj) => matchesQuery(obj, kind, query, labels));
}

function matchesQuery(
  obj: KubeObjectOf<KindName>,
  kind: KindName,
  query: ObjectQuery,
  labels: LabelRequirement[],
): boolean {
  const meta = obj.metadata;
  if (
    query.namespace !== undefined &&
    kind !== 'Node' &&
    kind !== 'Namespace' &&
    meta?.namespace !== query.namespace
  ) {
    return false;
  }
  if (labels.length && !matchLabels(labels, meta?.labels)) return false;
  if (kind === 'Pod') {
    const pod = obj as KubeObjectOf<'Pod'>;
    if (query.nodeName !== undefined && (pod.spec?.nodeName ?? '') !== query.nodeName) return false;
    if (query.phase !== undefined && pod.status?.phase !== query.phase) return false;
    if (query.jobName !== undefined && jobNameOf(pod) !== query.jobName) return false;
  }
  return true;
}

function jobNameOf(pod: KubeObjectOf<'Pod'>): string | undefined {
  const labels = pod.metadata?.labels;
  return (
    labels?.['batch.kubernetes.io/job-name'] ??
    labels?.['job-name'] ??
    pod.metadata?.ownerReferences?.find((o) => o.kind === 'Job' && o.controller)?.name
  );
}

/** All pages of a LIST, with every filter the server understands pushed down to it. */
async function listDirect<K extends KindName>(
  client: ClusterClient,
  kind: K,
  query: ObjectQuery,
  labels: LabelRequirement[],
): Promise<KubeObjectOf<K>[]> {
  // The canonical form, not the user's text: what our parser accepts a real server must too.
  const labelParts = labels.length ? [formatLabelSelector(labels)] : [];
  if (kind === 'Pod' && query.jobName !== undefined)
    labelParts.push(`batch.kubernetes.io/job-name=${query.jobName}`);
  const fieldParts: string[] = [];
  if (kind === 'Pod' && query.nodeName !== undefined) fieldParts.push(`spec.nodeName=${query.nodeName}`);
  if (kind === 'Pod' && query.phase !== undefined) fieldParts.push(`status.phase=${query.phase}`);
  const namespace = kind === 'Pod' || kind === 'Job' ? query.namespace : undefined;
  const transform = transformerFor(kind);
  const items: KubeObjectOf<K>[] = [];
  let continueToken: string | undefined;
  do {
    const page = await client.list(kind, {
      namespace,
      labelSelector: labelParts.join(',') || undefined,
      fieldSelector: fieldParts.join(',') || undefined,
      limit: DIRECT_PAGE_SIZE,
      continueToken,
    });
    for (const item of page.items) items.push(transform(item));
    continueToken = page.continueToken;
  } while (continueToken);
  if (kind === 'Namespace' && query.namespace !== undefined) {
    return items.filter((ns) => ns.metadata?.name === query.namespace);
  }
  return items;
}
