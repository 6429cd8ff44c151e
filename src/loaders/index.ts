/**
 * The per-request context, built here and nowhere else, and sealed: what a resolver can
 * reach from it is read-only — fresh DataLoaders (every read, batched, through
 * ClusterReader with the principal applied), the principal, the clusters it may see with
 * their status snapshots, and the subscriptions it may start. No Cluster, API client or
 * writable store is reachable from it (test/architecture/context.test.ts proves it, by
 * type and at run time). Writes get their own narrow interface, `write`: methods that go
 * to the API server as the caller (writes.ts), never a client.
 *
 * This module is also the schema's door to the lower layers: the Kubernetes rules and
 * the few kube values a resolver needs are re-exported below, so `src/schema/` imports
 * nothing from `src/kube/` but types.
 */

import type DataLoader from 'dataloader';
import type { JobPodCounts, NodeUsage } from '../kube/aggregates.js';
import { type Clock, systemClock } from '../kube/clock.js';
import { accessReviews } from './access.js';
import {
  type ClusterSummary,
  createJobPodsLoader,
  createNodeUsageLoader,
  createSummaryLoader,
  type InMemoryLoader,
  type JobPodsKey,
  type NodeUsageKey,
} from './aggregates.js';
import { type ClusterCatalog, createCatalog } from './catalog.js';
import type { ClusterDirectory } from './directory.js';
import type { AnyObject, ListKey, ObjectKey } from './keys.js';
import { lazyMethods } from './lazy.js';
import { type BatchHook, createListLoader, createObjectLoader, type ListOrigin } from './lists.js';
import { createLogs, defaultLogGate, type LogGate, type Logs } from './logs.js';
import type { Principal } from './principal.js';
import { RequestReads } from './reads.js';
import { type ClusterHealth, createHealthLoader, createVersionLoader } from './status.js';
import { createSubscriptions, type Subscriptions } from './subscribe.js';
import { createUsageLoaders, type UsageLoaders } from './usage.js';
import { createWrites, defaultWriteGate, type WriteGate, type Writes } from './writes.js';

export type { Clock } from '../kube/clock.js';
export type { ClusterStatus } from '../kube/cluster.js';
export type { InformerStatus } from '../kube/informer.js';
export { eventCount, eventLastSeen } from '../kube/kinds/event.js';
export { isNamespaced, KIND_INFO, KIND_NAMES, type KindName, type KubeObjectOf } from '../kube/kinds.js';
export { cpuMillis, memoryBytes } from '../kube/quantity.js';
export {
  containerResources,
  effectivePodRequests,
  JOB_STATES,
  type JobState,
  jobNameOfPod,
  jobState,
  NODE_ROLE_PREFIX,
  type NodeResources,
  nodeInternalIP,
  nodeReady,
  nodeResources,
  nodeRoles,
  POD_PHASES,
  type PodPhase,
  podIPs,
  podPhase,
  podReady,
  podRestarts,
} from '../kube/rules.js';
export { LabelSelectorError, parseLabelSelector } from '../kube/selector.js';
export {
  type ContainerUsage,
  cpuOverRequest,
  effectivePodLimits,
  MEMORY_NEAR_LIMIT,
  memoryNearLimit,
  type PodUsage,
  type PodUtilization,
  podUtilization,
  type Usage,
  type UsageSample,
} from '../kube/usage.js';
export {
  type ClusterSummary,
  InMemoryLoader,
  type JobPodsKey,
  loadNow,
  type NodeUsageKey,
} from './aggregates.js';
export type { ClusterCatalog } from './catalog.js';
export { type EventQueue, isReadySource, type ReadySource, SlowConsumerError, soon } from './event-queue.js';
export type { AnyObject, ListKey, ObjectKey } from './keys.js';
export { type BatchHook, type ListOrigin, previousAnswer } from './lists.js';
export { LiveValue, unwrapLive } from './live-value.js';
export {
  LOG_DEFAULTS,
  type LogBatch,
  LogGate,
  type LogLineEvent,
  type LogSettings,
  type Logs,
  type PodLogs,
} from './logs.js';
export type { ClusterHealth } from './status.js';
export { isSharedEvent, type ObjectEvent } from './streams.js';
export type { ObjectSubscription, Subscriptions } from './subscribe.js';
export type { NodeUsageRef, PodSignals, PodUsageRef, UsageLoaders, UsageView } from './usage.js';
export { usableView } from './usage.js';
export {
  type DrainedPod,
  type DrainOutcome,
  type DrainResult,
  type JobRequest,
  type ObjectTarget,
  type PropagationPolicy,
  WRITE_DEFAULTS,
  WriteGate,
  type WriteRecord,
  type WriteResult,
  type WriteSettings,
  type Writes,
} from './writes.js';

export interface Loaders {
  /** Filtered lists: connections, `node.pods`, `job.pods`, `namespace.pods`, totalCount. */
  readonly list: InMemoryLoader<ListKey, readonly AnyObject[], ListOrigin>;
  /** One object by (cluster, kind, namespace, name); null when absent or invisible. */
  readonly object: DataLoader<ObjectKey, AnyObject | null, string>;
  /** A node's non-terminated pods and their effective requests. */
  readonly nodeUsage: InMemoryLoader<NodeUsageKey, NodeUsage>;
  /** A job's pods by phase. */
  readonly jobPods: InMemoryLoader<JobPodsKey, JobPodCounts>;
  readonly summary: InMemoryLoader<string, ClusterSummary>;
  readonly version: DataLoader<string, string>;
  readonly health: DataLoader<string, ClusterHealth>;
  /** Live usage (the metrics API, one fetch per cluster and window) joined to nodes and pods. */
  readonly usage: UsageLoaders;
}

export interface GatewayContext {
  /** The clock every timer and timestamp of a resolver goes through (tests drive it). */
  readonly clock: Clock;
  /** This request's DataLoaders (after `renewLoaders()`, a fresh set, built on first use). */
  readonly loaders: Loaders;
  readonly principal: Principal;
  /** The clusters the principal may see, and their status snapshots. */
  readonly clusters: ClusterCatalog;
  /** The subscriptions the principal may start. */
  readonly subscribe: Subscriptions;
  /** The writes the principal may make: to the API server, as the caller, rate limited. */
  readonly write: Writes;
  /** Container logs the principal may read: one-shot reads and follows (never cached). */
  readonly logs: Logs;
  /**
   * Drops this context's loaders, so the next read starts with empty caches: a
   * subscription's context lives as long as it does, and each event must read afresh.
   */
  renewLoaders(): void;
}

export interface ContextOptions {
  directory: ClusterDirectory;
  clock?: Clock;
  principal: Principal;
  /** Subscriptions' bounds (config.ts reads them from the environment). */
  settings?: { queueLimit?: number | undefined; syncTimeoutMs?: number | undefined };
  /** Sees every batch every loader runs (tests assert batching with it). */
  onBatch?: BatchHook;
  /** The gateway's write limits and audit hook (one per gateway); a default one per directory otherwise. */
  writes?: WriteGate;
  /** The gateway's log streams and limits (one per gateway); a default one per directory otherwise. */
  logs?: LogGate;
}

export const DEFAULT_SUBSCRIBER_QUEUE = 1000;

/**
 * A request's loaders, each built when first asked: a cluster summary needs one of them, and
 * building the usage loaders alone was 0.9 % of its CPU. A class, not an object literal with
 * getters: a literal defines each accessor through a runtime call per request, a class's
 * getters are on its prototype (the context's creation was ~4 % of a summary's CPU).
 */
class RequestLoaders implements Loaders {
  readonly #reads: RequestReads;
  readonly #clock: Clock;
  readonly #onBatch: BatchHook | undefined;
  #list: Loaders['list'] | undefined;
  #object: Loaders['object'] | undefined;
  #nodeUsage: Loaders['nodeUsage'] | undefined;
  #jobPods: Loaders['jobPods'] | undefined;
  #summary: Loaders['summary'] | undefined;
  #version: Loaders['version'] | undefined;
  #health: Loaders['health'] | undefined;
  #usage: Loaders['usage'] | undefined;

  constructor(reads: RequestReads, clock: Clock, onBatch: BatchHook | undefined) {
    this.#reads = reads;
    this.#clock = clock;
    this.#onBatch = onBatch;
    Object.freeze(this);
  }

  get list() {
    this.#list ??= createListLoader(this.#reads, this.#onBatch);
    return this.#list;
  }
  get object() {
    this.#object ??= createObjectLoader(this.#reads, this.#onBatch);
    return this.#object;
  }
  get nodeUsage() {
    this.#nodeUsage ??= createNodeUsageLoader(this.#reads, this.#onBatch);
    return this.#nodeUsage;
  }
  get jobPods() {
    this.#jobPods ??= createJobPodsLoader(this.#reads, this.#onBatch);
    return this.#jobPods;
  }
  get summary() {
    this.#summary ??= createSummaryLoader(this.#reads, this.#onBatch);
    return this.#summary;
  }
  get version() {
    this.#version ??= createVersionLoader(this.#reads, this.#onBatch);
    return this.#version;
  }
  get health() {
    this.#health ??= createHealthLoader(this.#reads, this.#onBatch);
    return this.#health;
  }
  get usage() {
    this.#usage ??= createUsageLoaders(this.#reads, this.#clock, this.#onBatch);
    return this.#usage;
  }
}

/**
 * The context's `loaders`: a stable view over the current set, built on first use (most
 * subscription events resolve without a loader, and with a thousand subscribers per event
 * that saving counts), so the context can be copied (yoga spreads it into its own) and still
 * renew its loaders.
 */
class CurrentLoaders implements Loaders {
  readonly #build: () => Loaders;
  #current: Loaders | undefined;

  constructor(build: () => Loaders) {
    this.#build = build;
    Object.freeze(this);
  }

  #now(): Loaders {
    this.#current ??= this.#build();
    return this.#current;
  }
  renew(): void {
    this.#current = undefined;
  }
  get list() {
    return this.#now().list;
  }
  get object() {
    return this.#now().object;
  }
  get nodeUsage() {
    return this.#now().nodeUsage;
  }
  get jobPods() {
    return this.#now().jobPods;
  }
  get summary() {
    return this.#now().summary;
  }
  get version() {
    return this.#now().version;
  }
  get health() {
    return this.#now().health;
  }
  get usage() {
    return this.#now().usage;
  }
}

const lazyWrites = lazyMethods<Writes>({
  deletePod: true,
  evictPod: true,
  createJob: true,
  deleteJob: true,
  suspendJob: true,
  cordonNode: true,
  drainNode: true,
  setLabels: true,
});
const lazyLogs = lazyMethods<Logs>({ read: true, follow: true, job: true, workload: true });

export function createContext({
  directory,
  principal,
  settings,
  onBatch,
  clock = systemClock,
  writes,
  logs: logGate,
}: ContextOptions): GatewayContext {
  // SubjectAccessReview answers are the gateway's (one cache per directory), on its clock.
  const reviews = accessReviews(directory, clock);
  const loaders = new CurrentLoaders(
    () => new RequestLoaders(new RequestReads(directory, principal, reviews), clock, onBatch),
  );
  const clusters = createCatalog(directory, principal, reviews);
  const subscribe = createSubscriptions(directory, principal, {
    queueLimit: settings?.queueLimit ?? DEFAULT_SUBSCRIBER_QUEUE,
    syncTimeoutMs: settings?.syncTimeoutMs,
    reviews,
    clock,
  });
  // Built on first use: most requests (and every subscription) neither write nor read logs.
  const write = lazyWrites(() =>
    createWrites({
      gate: writes ?? defaultWriteGate(directory, clock),
      directory,
      principal,
      clusters,
    }),
  );
  const logs = lazyLogs(() =>
    createLogs({
      directory,
      principal,
      gate: logGate ?? defaultLogGate(directory, clock),
      queueLimit: settings?.queueLimit ?? DEFAULT_SUBSCRIBER_QUEUE,
      reviews,
      targets: (name) => clusters.targets(name),
      clock,
    }),
  );
  return Object.freeze({
    clock,
    loaders,
    principal,
    clusters,
    subscribe,
    write,
    logs,
    renewLoaders(): void {
      loaders.renew();
    },
  });
}
