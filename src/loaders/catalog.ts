/**
 * What a request may know about the set of clusters: the names its principal may see,
 * whether one exists, the checked targets of a subscription, and status snapshots. Never
 * a Cluster, a client or a store: those stay behind ClusterReader in the loaders.
 */
import { clusterNotFound } from '../errors.js';
import type { ClusterStatus } from '../kube/cluster.js';
import type { ClusterDirectory } from './directory.js';
import { canSeeCluster, type Principal } from './principal.js';

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
}

export function createCatalog(directory: ClusterDirectory, principal: Principal): ClusterCatalog {
  const visible = () =>
    directory
      .list()
      .map((c) => c.name)
      .filter((name) => canSeeCluster(principal, name));
  const sees = (name: string) => directory.get(name) !== undefined && canSeeCluster(principal, name);
  return Object.freeze({
    visible,
    lookup: (name: string) => (sees(name) ? { name } : null),
    sees,
    targets(name: string | null | undefined) {
      if (name === null || name === undefined) return visible();
      if (!sees(name)) throw clusterNotFound(name, visible());
      return [name];
    },
    status: (name: string) => (canSeeCluster(principal, name) ? directory.get(name)?.status() : undefined),
  });
}
