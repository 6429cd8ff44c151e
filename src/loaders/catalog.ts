/**
 * What a request may know about the set of clusters: the names its principal may see,
 * whether one exists, the checked targets of a subscription, and status snapshots. Never
 * a Cluster, a client or a store: those stay behind ClusterReader in the loaders.
 *
 * A cluster is visible to a principal who may read anything in it (a static principal's
 * listed clusters; an identity with any read right there). Decided afresh on every call:
 * a subscription's context outlives the rights it started with.
 *
 * A sharded replica serves only its shard's clusters: every list of clusters is of those,
 * and naming a cluster another shard serves (a query, a global id, a subscription, a write)
 * is WRONG_SHARD, naming that shard. `notOwned()` says what a list left out.
 */
import { clusterNotFound, wrongShard } from '../errors.js';
import type { ClusterStatus } from '../kube/cluster.js';
import type { KindName } from '../kube/kinds.js';
import { ClusterReader } from '../kube/reader.js';
import { type AccessReviews, accessIn, type ClusterAccess, NO_ACCESS } from './access.js';
import type { ClusterDirectory } from './directory.js';
import type { Principal } from './principal.js';

export interface ClusterCatalog {
  /** Names of the clusters the principal may see, in configuration order. */
  visible(): string[];
  /**
   * The cluster by name: its name when visible; null when there is none or the principal
   * may not see it (the same answer, so a hidden cluster's name cannot be confirmed).
   */
  lookup(name: string): { name: string } | null;
  /** Whether the cluster exists and the principal may see it (Relay ids: null either way). */
  sees(name: string): boolean;
  /** A subscription's clusters: the one named (NOT_FOUND when missing or hidden) or every visible one. */
  targets(name: string | null | undefined): string[];
  /** A snapshot of a visible cluster's status; undefined when it is gone (removed from the configuration). */
  status(name: string): ClusterStatus | undefined;
  /**
   * Whether a cluster still configured is one the principal may no longer read: for live
   * values of a cluster it could read when it subscribed (it knows the cluster exists), to
   * end them with FORBIDDEN. False for a cluster removed from the configuration.
   */
  revoked(name: string): boolean;
  /** Whether the principal may list every object of a kind there (figures about the whole kind). */
  seesKind(name: string): (kind: KindName) => boolean;
  /**
   * Sharded, once the request has listed the clusters: this replica's shard and the
   * configured clusters other shards serve (name → "j/n") that the principal may know of,
   * which that list left out; undefined otherwise.
   */
  notOwned(): { shard: string; clusters: Record<string, string> } | undefined;
}

/** The principal's access in a cluster now (NO_ACCESS when there is no such cluster). */
export function accessNow(
  directory: ClusterDirectory,
  principal: Principal,
  name: string,
  reviews?: AccessReviews,
): ClusterAccess {
  const cluster = directory.get(name);
  return cluster ? accessIn(principal, new ClusterReader(cluster), reviews) : NO_ACCESS;
}

export function createCatalog(
  directory: ClusterDirectory,
  principal: Principal,
  reviews?: AccessReviews,
): ClusterCatalog {
  const sees = (name: string) => {
    const owner = directory.ownerOf?.(name);
    if (owner !== undefined) {
      // A static principal not listing it gets the missing cluster's answer, as elsewhere.
      if (!mayKnow(principal, name)) return false;
      throw wrongShard(name, owner, directory.shard);
    }
    return accessNow(directory, principal, name, reviews).any;
  };
  // Whether this request listed the clusters (so its answer may leave some out: notOwned).
  let listed = false;
  const visible = () => {
    listed = true;
    return directory
      .list()
      .map((c) => c.name)
      .filter(sees);
  };
  return Object.freeze({
    visible,
    lookup: (name: string) => (sees(name) ? { name } : null),
    sees,
    targets(name: string | null | undefined) {
      if (name === null || name === undefined) return visible();
      if (!sees(name)) throw clusterNotFound(name, visible());
      return [name];
    },
    status: (name: string) => (sees(name) ? directory.get(name)?.status() : undefined),
    revoked: (name: string) => directory.get(name) !== undefined && !sees(name),
    seesKind: (name: string) => (kind: KindName) =>
      accessNow(directory, principal, name, reviews).all('list', kind),
    notOwned: () => (listed ? notOwned(directory, principal) : undefined),
  });
}

/**
 * What lists of clusters left out, as a principal may learn it: a static principal's listed
 * clusters (all, for '*' and the open gateway). An identity's rights there are decided by a
 * cluster's RBAC, which only its shard mirrors, so no name is confirmed to it.
 */
function notOwned(directory: ClusterDirectory, principal: Principal): ReturnType<ClusterCatalog['notOwned']> {
  if (directory.shard === undefined) return undefined;
  const clusters: Record<string, string> = {};
  for (const [name, shard] of directory.notOwnedClusters?.() ?? []) {
    if (principal.clusters !== undefined && mayKnow(principal, name)) clusters[name] = shard;
  }
  return { shard: directory.shard, clusters };
}

/** A static principal may know of the clusters it lists; an identity may be told a name exists. */
function mayKnow(principal: Principal, name: string): boolean {
  const listed = principal.clusters;
  return listed === undefined || listed === '*' || listed.includes(name);
}
