/**
 * What the loaders need of the set of clusters: look one up, list them, and the event
 * hub their informers publish to. The ClusterRegistry implements it; a swap of a
 * cluster (credential rotation) shows up here as a new Cluster object on the next request.
 */
import type { Cluster } from '../kube/cluster.js';
import type { EventHub } from '../kube/event-hub.js';

export interface ClusterDirectory {
  list(): Cluster[];
  get(name: string): Cluster | undefined;
  readonly hub: EventHub;
  /**
   * For a sharded replica: the shard ("j/n") that owns a configured cluster this one does
   * not serve, undefined for the clusters it serves and names nobody configured.
   */
  ownerOf?(name: string): string | undefined;
  /** Sharded: the configured clusters other shards serve, name → "j/n". */
  notOwnedClusters?(): ReadonlyMap<string, string>;
  /** This replica's shard ("i/n"), when sharded. */
  readonly shard?: string;
}
