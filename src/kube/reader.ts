/**
 * The read interface over one cluster, and the only way into its stores: from the
 * informer's indexes when the kind has synced, otherwise (not yet synced, not mirrored,
 * or the cache switched off) straight from the API server with what it can apply of the
 * query pushed down. Callers see the same shapes and the same answers either way:
 * trimmed, frozen objects that match `compileQuery`. Loaders batch onto this; resolvers
 * never see it.
 */

import { clusterSyncing } from '../errors.js';
import type { JobPodCounts, NamespacePods, NodeTotals, NodeUsage, PodTotals } from './aggregates.js';
import type { AccessReviewAttributes, AccessReviewUser } from './client.js';
import type { Clock } from './clock.js';
import type { AuthorizationMode, Cluster, ClusterStatus } from './cluster.js';
import type { ResumeAnswer } from './event-log.js';
import { INDEX_NAMESPACE, type ReadonlyIndexer } from './indexer.js';
import type { IndexLookup } from './kinds/define.js';
import { type KindName, type KubeObjectOf, keyOf } from './kinds.js';
import { compileQuery, indexLookups, type ObjectQuery, serverSelectors } from './query.js';
import type { AccessSet, RbacUser } from './rbac.js';
import type { JobState, PodPhase } from './rules.js';
import { transformerFor } from './transform.js';
import type { ClusterUsage } from './usage.js';

export type { ObjectQuery } from './query.js';

export interface ReadResult<T> {
  items: readonly T[];
  /** Where the answer came from: the informer's store, or a LIST to the API server. */
  source: 'cache' | 'api';
}

/** The pod aggregates, read-only (numbers over every namespace: the caller decides who may see them). */
export interface AggregatesView {
  /** Moves on every change. */
  readonly version: number;
  node(nodeName: string): NodeUsage;
  /** The live entry, to be read at once (PodAggregates.nodeNow). */
  nodeNow(nodeName: string): Readonly<NodeUsage>;
  namespace(namespace: string): Readonly<NamespacePods>;
  job(namespace: string, jobName: string): JobPodCounts;
  /** The live entry, to be read at once (PodAggregates.jobNow). */
  jobNow(namespace: string, jobName: string): Readonly<JobPodCounts>;
  phaseCounts(): Record<PodPhase, number>;
  totals(): PodTotals;
}

/** The node aggregates, read-only. */
export interface NodeAggregatesView {
  totals(): NodeTotals;
}

/** The job aggregates, read-only. */
export interface JobAggregatesView {
  /** Moves on every change. */
  readonly version: number;
  namespace(namespace: string): Readonly<Record<JobState, number>>;
  totals(): Record<JobState, number>;
}

const DIRECT_PAGE_SIZE = 500;

/**
 * How long a read of a whole kind waits for the cluster's first LIST of it before that
 * cluster's part of the answer is an UNAVAILABLE error (reason SYNCING): half the default
 * operation limit (10 s), so a page over many clusters answers the synced ones in time.
 * The embedded simulator and a cluster of a few thousand pods list well within it.
 */
export const INITIAL_LIST_WAIT_MS = 5_000;

export class ClusterReader {
  readonly #cluster: Cluster;

  constructor(cluster: Cluster) {
    this.#cluster = cluster;
  }

  get name(): string {
    return this.#cluster.name;
  }

  /** Whether the cluster runs informers at all (false: `--no-cache`). */
  get cache(): boolean {
    return this.#cluster.cache;
  }

  /** Whether `kind` is served from memory right now. */
  cached(kind: KindName): boolean {
    return this.#cluster.isSynced(kind);
  }

  /**
   * A number that moves whenever the kind's store changes, while it is served from memory;
   * undefined otherwise. Memos of answers derived from a store are valid while it stands.
   */
  generation(kind: KindName): number | undefined {
    return this.cached(kind) ? this.#cluster.informers?.[kind]?.generation : undefined;
  }

  /**
   * An identity for memos of answers derived from the kind's store: the same object while
   * the same informer serves the kind (a cluster swap brings a new one). Undefined when not
   * served from memory. Pair it with `generation`.
   */
  scope(kind: KindName): object | undefined {
    return this.cached(kind) ? this.#cluster.informers?.[kind]?.store : undefined;
  }

  /** How identities are authorised in this cluster. */
  get authorization(): AuthorizationMode {
    return this.#cluster.authorization;
  }

  /** A user's access compiled from the mirrored RBAC objects; undefined until they have synced. */
  access(userKey: string, user: RbacUser): AccessSet | undefined {
    return this.#cluster.access(userKey, user);
  }

  /** One SubjectAccessReview for `user`, asked of the cluster's API server. */
  reviewAccess(user: AccessReviewUser, attributes: AccessReviewAttributes): Promise<boolean> {
    return this.#cluster.reviewAccess(user, attributes);
  }

  /** Moves whenever any RBAC object changes; undefined until they have synced. */
  rbacGeneration(): string | undefined {
    return this.#cluster.rbacGeneration();
  }

  /** The cluster's usage (metrics API) on this clock: cached per window, shared by every request. */
  usage(clock: Clock): ClusterUsage {
    return this.#cluster.usage(clock);
  }

  /** Jobs by state per namespace, once jobs are served from memory. */
  jobAggregates(): JobAggregatesView | undefined {
    return this.cached('Job') ? this.#cluster.jobAggregates : undefined;
  }

  /** The nodes summed, once nodes are served from memory. */
  nodeAggregates(): NodeAggregatesView | undefined {
    return this.cached('Node') ? this.#cluster.nodeAggregates : undefined;
  }

  /** The incremental pod aggregates, once pods are served from memory. */
  aggregates(): AggregatesView | undefined {
    return this.cached('Pod') ? this.#cluster.aggregates : undefined;
  }

  /**
   * The matches from memory now, or undefined when `kind` is not served from memory (then
   * `list`). Throws as `list` rejects (a bad selector).
   */
  listNow<K extends KindName>(kind: K, query: ObjectQuery = {}): readonly KubeObjectOf<K>[] | undefined {
    const store = this.#store(kind);
    return store ? listFromStore(store, kind, query, compileQuery(kind, query)) : undefined;
  }

  /**
   * `listNow` over several namespaces at once: what a caller granted in those namespaces may
   * list. The query is compiled once and read from the smallest index, the namespaces' buckets
   * together or one of the query's own (a job's pods), not once per namespace: a caller bound
   * in 1,000 namespaces made 1,000 reads per list (bench/rbac-only.ts). `query.namespace` is
   * ignored; an object outside `namespaces` never matches.
   */
  listNowIn<K extends KindName>(
    kind: K,
    query: ObjectQuery,
    namespaces: readonly string[],
  ): readonly KubeObjectOf<K>[] | undefined {
    const store = this.#store(kind);
    if (!store) return undefined;
    if (namespaces.length === 0) return [];
    const rest = { ...query, namespace: undefined };
    return listFromStore(store, kind, rest, compileQuery(kind, rest), namespaces);
  }

  async list<K extends KindName>(kind: K, query: ObjectQuery = {}): Promise<ReadResult<KubeObjectOf<K>>> {
    const matches = compileQuery(kind, query); // parses the selector: bad input fails before any read
    const store = this.#store(kind);
    if (store) return { items: listFromStore(store, kind, query, matches), source: 'cache' };
    const selectors = serverSelectors(kind, query);
    // The whole kind: the informer's initial LIST is the same read (Cluster.initialList).
    if (selectors.namespace === undefined && !selectors.labelSelector && !selectors.fieldSelector) {
      const listing = this.#cluster.initialList(kind, INITIAL_LIST_WAIT_MS);
      if (listing) {
        const stored = await listing;
        if (stored === undefined) throw clusterSyncing(this.name, kind, INITIAL_LIST_WAIT_MS);
        const synced = stored ? this.#store(kind) : undefined;
        if (synced) return { items: listFromStore(synced, kind, query, matches), source: 'cache' };
      }
    }
    return { items: await this.#listDirect(kind, matches, selectors), source: 'api' };
  }

  async get<K extends KindName>(
    kind: K,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObjectOf<K> | undefined> {
    const store = this.#store(kind);
    if (store) return store.get(keyOf(namespace, name));
    const obj = await this.#cluster.client.get(kind, namespace, name);
    return obj ? transformerFor(kind)(obj) : undefined;
  }

  /** Every stored object of a synced kind (subscription snapshots); undefined when not synced. */
  snapshot<K extends KindName>(kind: K): readonly KubeObjectOf<K>[] | undefined {
    return this.#store(kind)?.list();
  }

  /**
   * What a subscriber that last saw `since` missed of a synced kind, from its informer's
   * retention log (event-log.ts); undefined when the kind is not served from memory. Read
   * in the same synchronous step as joining the hub, so nothing falls in between.
   */
  resume<K extends KindName>(kind: K, since: string): ResumeAnswer<K> | undefined {
    if (!this.cached(kind)) return undefined;
    return this.#cluster.informers?.[kind]?.log.since(since) as ResumeAnswer<K> | undefined;
  }

  /** The resourceVersion the kind's informer has reached (events and bookmarks). */
  informerResourceVersion(kind: KindName): string | undefined {
    return this.cached(kind) ? this.#cluster.informers?.[kind]?.status().resourceVersion : undefined;
  }

  /** The API server's current resourceVersion, from a one-item LIST of the kind. */
  async serverResourceVersion(kind: KindName): Promise<string> {
    return (await this.#cluster.client.list(kind, { limit: 1 })).resourceVersion;
  }

  /**
   * Resolves true when the cluster's caches have synced (those readiness waits for, or the
   * kinds named), false after `timeoutMs` or without the cache.
   */
  waitForSync(timeoutMs?: number, kinds?: readonly KindName[]): Promise<boolean> {
    return this.#cluster.waitForSync(timeoutMs, kinds);
  }

  /** The server's gitVersion (asked once per cluster, then remembered). */
  version(): Promise<string> {
    return this.#cluster.version();
  }

  /** Asks the API server for its version now: whether it answers. */
  ping(): Promise<string> {
    return this.#cluster.client.version();
  }

  /** A snapshot of the cluster's status (a new object each call). */
  status(): ClusterStatus {
    return this.#cluster.status();
  }

  #store<K extends KindName>(kind: K): ReadonlyIndexer<KubeObjectOf<K>> | undefined {
    return this.cached(kind)
      ? (this.#cluster.informers?.[kind]?.store as ReadonlyIndexer<KubeObjectOf<K>> | undefined)
      : undefined;
  }

  /**
   * All pages of a LIST with what the server understands pushed down, the rest filtered here.
   * Identical LISTs in flight at once are one (the cluster's SharedReads): every caller filters
   * the same trimmed, frozen objects with its own query. Pages are read as plain JSON without
   * their managedFields (`listRaw`, as the informers list), never as client-node's models: a
   * 20,000-pod LIST cost the gateway several seconds of CPU that way.
   */
  async #listDirect<K extends KindName>(
    kind: K,
    matches: (obj: KubeObjectOf<K>) => boolean,
    selectors: ReturnType<typeof serverSelectors>,
  ): Promise<KubeObjectOf<K>[]> {
    const key = `${kind}\u0000${selectors.namespace ?? ''}\u0000${selectors.labelSelector ?? ''}\u0000${selectors.fieldSelector ?? ''}`;
    const all = await this.#cluster.reads.run(key, async () => {
      const transform = transformerFor(kind);
      const items: KubeObjectOf<K>[] = [];
      let continueToken: string | undefined;
      do {
        const page = await this.#cluster.client.listRaw(kind, {
          ...selectors,
          limit: DIRECT_PAGE_SIZE,
          continueToken,
        });
        for (const item of page.items) items.push(transform(item as unknown as KubeObjectOf<K>));
        continueToken = page.continueToken;
      } while (continueToken);
      return items;
    });
    return all.filter(matches);
  }
}

/**
 * Reads the smallest index the query allows (a node, a job, a namespace, the rarest label
 * pair) and filters the rest in memory, so a lookup costs O(matches of that index). With
 * `within`, only objects in those namespaces match, and their buckets together are one of
 * the lookups to choose from.
 */
function listFromStore<K extends KindName>(
  store: ReadonlyIndexer<KubeObjectOf<K>>,
  kind: K,
  query: ObjectQuery,
  matches: (obj: KubeObjectOf<K>) => boolean,
  within?: readonly string[],
): readonly KubeObjectOf<K>[] {
  const lookups = indexLookups(kind, query);
  const union: IndexLookup | undefined = within && {
    index: INDEX_NAMESPACE,
    value: within[0],
    orValues: restOf(within),
  };
  if (union) lookups.push(union);
  let best: { lookup: IndexLookup; count: number } | undefined;
  for (const lookup of lookups) {
    if (!store.hasIndex(lookup.index)) continue;
    let count = store.countByIndex(lookup.index, lookup.value);
    // Counted only while it can still be the smallest: the union of a caller's 1,000
    // namespaces comes last, after a job's own index (a few pods), and was counted bucket by
    // bucket for every job of a page (R's Q3 at 1,000 namespaces, session 38).
    const more = lookup.orValues;
    if (more !== undefined)
      for (let i = 0; i < more.length && (best === undefined || count < best.count); i++)
        count += store.countByIndex(lookup.index, more[i]);
    if (best === undefined || count < best.count) best = { lookup, count };
  }
  let candidates: readonly KubeObjectOf<K>[];
  if (!best) candidates = store.list();
  else if (!best.lookup.orValues?.length) candidates = store.byIndex(best.lookup.index, best.lookup.value);
  else {
    const { index, value, orValues } = best.lookup;
    const all: KubeObjectOf<K>[] = [...store.byIndex(index, value)];
    for (const v of orValues) for (const obj of store.byIndex(index, v)) all.push(obj);
    candidates = all;
  }
  if (!within || best?.lookup === union) return candidates.filter(matches);
  const allowed = namespaceSet(within);
  return candidates.filter((obj) => allowed.has(obj.metadata?.namespace ?? '') && matches(obj));
}

/** `namespaces` without its first, kept per (frozen) array as the set below. */
const namespaceRests = new WeakMap<readonly string[], readonly string[]>();

function restOf(namespaces: readonly string[]): readonly string[] {
  let rest = namespaceRests.get(namespaces);
  if (rest === undefined) {
    rest = namespaces.slice(1);
    if (Object.isFrozen(namespaces)) namespaceRests.set(namespaces, rest);
  }
  return rest;
}

/**
 * `namespaces` as a set, kept per array: a caller's granted namespaces come as one frozen
 * array per access set (loaders/access.ts), so a page of 50 nodes each listing its pods for a
 * caller bound in 1,000 namespaces builds the set once, not 50 times.
 */
const namespaceSets = new WeakMap<readonly string[], ReadonlySet<string>>();

function namespaceSet(namespaces: readonly string[]): ReadonlySet<string> {
  let set = namespaceSets.get(namespaces);
  if (set === undefined) {
    set = new Set(namespaces);
    if (Object.isFrozen(namespaces)) namespaceSets.set(namespaces, set);
  }
  return set;
}
