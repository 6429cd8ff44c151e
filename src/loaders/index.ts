/**
 * The per-request context: the principal, the cluster directory, and fresh DataLoaders,
 * all built here and nowhere else. Resolvers read only through `loaders`; batch functions
 * read only through RequestReads, which applies the principal to every read.
 */

import type DataLoader from 'dataloader';
import type { JobPodCounts, NodeUsage } from '../kube/aggregates.js';
import {
  type ClusterSummary,
  createJobPodsLoader,
  createNodeUsageLoader,
  createSummaryLoader,
  type JobPodsKey,
  type NodeUsageKey,
} from './aggregates.js';
import type { ClusterDirectory } from './directory.js';
import type { AnyObject, ListKey, ObjectKey } from './keys.js';
import { type BatchHook, createListLoader, createObjectLoader } from './lists.js';
import type { Principal } from './principal.js';
import { RequestReads } from './reads.js';
import { type ClusterHealth, createHealthLoader, createVersionLoader } from './status.js';

export type { ClusterSummary, JobPodsKey, NodeUsageKey } from './aggregates.js';
export {
  containerResources,
  JOB_STATES,
  type JobState,
  jobState,
  type NodeResources,
  nodeReady,
  nodeResources,
  podReady,
  podRestarts,
} from './derive.js';
export type { AnyObject, ListKey, ObjectKey } from './keys.js';
export type { BatchHook } from './lists.js';
export type { ClusterHealth } from './status.js';

export interface Loaders {
  /** Filtered lists: connections, `node.pods`, `job.pods`, `namespace.pods`, totalCount. */
  list: DataLoader<ListKey, readonly AnyObject[], string>;
  /** One object by (cluster, kind, namespace, name); null when absent or invisible. */
  object: DataLoader<ObjectKey, AnyObject | null, string>;
  /** A node's non-terminated pods and their effective requests. */
  nodeUsage: DataLoader<NodeUsageKey, NodeUsage, string>;
  /** A job's pods by phase. */
  jobPods: DataLoader<JobPodsKey, JobPodCounts, string>;
  summary: DataLoader<string, ClusterSummary>;
  version: DataLoader<string, string>;
  health: DataLoader<string, ClusterHealth>;
}

export interface GatewayContext {
  loaders: Loaders;
  principal: Principal;
  directory: ClusterDirectory;
}

export interface ContextOptions {
  directory: ClusterDirectory;
  principal: Principal;
  /** Sees every batch every loader runs (tests assert batching with it). */
  onBatch?: BatchHook;
}

export function createContext({ directory, principal, onBatch }: ContextOptions): GatewayContext {
  const reads = new RequestReads(directory, principal);
  return {
    principal,
    directory,
    loaders: {
      list: createListLoader(reads, onBatch),
      object: createObjectLoader(reads, onBatch),
      nodeUsage: createNodeUsageLoader(reads, onBatch),
      jobPods: createJobPodsLoader(reads, onBatch),
      summary: createSummaryLoader(reads, onBatch),
      version: createVersionLoader(reads, onBatch),
      health: createHealthLoader(reads, onBatch),
    },
  };
}
