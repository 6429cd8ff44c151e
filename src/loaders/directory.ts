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
}
