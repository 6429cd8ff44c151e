/**
 * What the churn knows about the cluster between changes: which pods are in which stage
 * of their life (so a change can pick one in O(1)), which jobs are finished, which nodes
 * it took down, and how full each namespace is. Kept current by store subscriptions, so
 * changes made by others (the API, the job controller) are seen too.
 */

import type { EventRecorder } from '../event-recorder.js';
import { jobFinished } from '../job-controller.js';
import { type RandomFn, schedulableNodes as scanSchedulableNodes } from '../scenario/index.js';
import type { NodeAccounting } from '../scheduler.js';
import { objectKey, type SimStore } from '../store.js';
import type { KubeObject, StoredEvent } from '../types.js';
import { KeyPool } from './key-pool.js';

export type Json = Record<string, unknown>;

/** A churned pod's stage: what can happen to it next. */
export type PodClass = 'unscheduled' | 'pending' | 'running' | 'crashing' | 'done';

const CHURNED_OWNERS = new Set(['ReplicaSet', 'StatefulSet', 'DaemonSet']);

/** Which pool a pod belongs to; undefined for pods the churn leaves alone. */
export function classify(pod: KubeObject): PodClass | undefined {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller);
  if (!owner || !CHURNED_OWNERS.has(owner.kind) || pod.metadata.deletionTimestamp) return undefined;
  switch (pod.status?.phase) {
    case 'Pending':
      return pod.spec?.nodeName ? 'pending' : 'unscheduled';
    case 'Running':
      return ((pod.status.containerStatuses ?? []) as Json[]).some(
        (c) => (c.state as Json | undefined)?.waiting,
      )
        ? 'crashing'
        : 'running';
    case 'Succeeded':
    case 'Failed':
      return 'done';
    default:
      return undefined;
  }
}

export interface ChurnIndex {
  pools: Record<PodClass, KeyPool>;
  classOf: Map<string, PodClass>;
  finishedJobs: KeyPool;
  nodes: string[];
  /** Nodes the churn took down, with the tick at which they come back. */
  downUntil: Map<string, number>;
  podsPerNamespace: Map<string, number>;
  namespaces: string[];
  initialJobs: number;
  schedulable?: KubeObject[];
  unsubscribe: (() => void)[];
}

/** What every change works with: the store, the seeded randomness, the index, the time. */
export interface ChurnContext {
  readonly store: SimStore;
  readonly random: RandomFn;
  readonly index: ChurnIndex;
  /** The scheduler's view of the nodes: a pod is placed only where its requests fit. */
  readonly accounting: NodeAccounting;
  /** Where the kubelets' BackOff events go, when the churn runs in a simulator. */
  readonly recorder?: EventRecorder;
  /** The time to write into objects, as an ISO string. */
  nowIso(): string;
}

/** Indexes the store's pods, jobs, nodes and namespaces, and follows their changes. */
export function buildIndex(store: SimStore): ChurnIndex {
  const index: ChurnIndex = {
    pools: {
      unscheduled: new KeyPool(),
      pending: new KeyPool(),
      running: new KeyPool(),
      crashing: new KeyPool(),
      done: new KeyPool(),
    },
    classOf: new Map(),
    finishedJobs: new KeyPool(),
    nodes: [...store.scan('nodes')].map((n) => n.metadata.name),
    downUntil: new Map(),
    podsPerNamespace: new Map(),
    namespaces: [...store.scan('namespaces')].map((n) => n.metadata.name).filter((n) => n !== 'kube-system'),
    initialJobs: store.count('jobs'),
    unsubscribe: [],
  };
  for (const pod of store.scan('pods')) indexPod(index, pod, true);
  for (const job of store.scan('jobs')) indexJob(index, job, true);
  index.unsubscribe.push(
    store.subscribe('pods', (e) => indexPod(index, e.object, e.type !== 'DELETED', e)),
    store.subscribe('jobs', (e) => indexJob(index, e.object, e.type !== 'DELETED')),
    store.subscribe('nodes', () => {
      index.schedulable = undefined;
    }),
    store.subscribe('namespaces', (e) => {
      const name = e.object.metadata.name;
      index.namespaces = index.namespaces.filter((n) => n !== name);
      if (e.type !== 'DELETED' && name !== 'kube-system') index.namespaces.push(name);
    }),
  );
  return index;
}

function indexPod(index: ChurnIndex, pod: KubeObject, exists: boolean, event?: StoredEvent): void {
  const key = objectKey(pod.metadata.namespace, pod.metadata.name);
  const ns = pod.metadata.namespace!;
  if (event?.type !== 'MODIFIED') {
    index.podsPerNamespace.set(ns, (index.podsPerNamespace.get(ns) ?? 0) + (exists ? 1 : -1));
  }
  const before = index.classOf.get(key);
  const after = exists ? classify(pod) : undefined;
  if (before === after) return;
  if (before) index.pools[before].delete(key);
  if (after) {
    index.pools[after].add(key);
    index.classOf.set(key, after);
  } else {
    index.classOf.delete(key);
  }
}

function indexJob(index: ChurnIndex, job: KubeObject, exists: boolean): void {
  const key = objectKey(job.metadata.namespace, job.metadata.name);
  if (exists && jobFinished(job)) index.finishedJobs.add(key);
  else index.finishedJobs.delete(key);
}

/** The nodes a new pod may go to, cached until a node changes. */
export function schedulableNodes(ctx: ChurnContext): KubeObject[] {
  ctx.index.schedulable ??= scanSchedulableNodes(ctx.store);
  return ctx.index.schedulable;
}
