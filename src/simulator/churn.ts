/**
 * Churn: the background life of a cluster, so that watches have something to say.
 * At a configured rate it makes one realistic change at a time: pods get scheduled,
 * start, crash and recover, restart a container, finish, and finished pods are
 * replaced by their controller (a new name and uid, same owner); jobs are created (the
 * JobController runs them) and old finished ones are cleaned up with their pods; node
 * heartbeats move a timestamp; now and then a node stops reporting and comes back.
 *
 * Every change goes through the store, so it is a watch event like any other. Job pods
 * belong to the JobController and are left alone. The same seed and the same sequence
 * of ticks over the same store give the same changes (time comes from `now`).
 */

import { jobFinished } from './job-controller.js';
import {
  creatorEntry,
  isoTime,
  jobManifest,
  mulberry32,
  nodeConditions,
  nodeInternalIP,
  type PodState,
  podStatus,
  type RandomFn,
  randomHex,
  randomInt,
  randomPodIP,
  randomSuffix,
  randomUid,
  readinessTaints,
  schedulableNodes,
  statusEntry,
} from './scenario/index.js';
import { objectKey, type SimStore, StoreError } from './store.js';
import type { KubeObject, StoredEvent } from './types.js';

type Json = Record<string, unknown>;

export interface IntervalClock {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface ChurnOptions {
  /** Changes per second while started. */
  ratePerSecond: number;
  seed: number;
  /** Where the interval comes from. Default the global timers. */
  clock?: IntervalClock;
  /** How often `start()` wakes up to make its share of changes. Default 100 ms. */
  intervalMs?: number;
  /** Timestamps written into objects. Default the wall clock. */
  now?: () => Date;
  /** Jobs are only created in namespaces holding fewer pods than this. */
  maxPodsPerNamespace?: number;
}

export type ChurnAction =
  | 'schedule'
  | 'start'
  | 'finish'
  | 'replace'
  | 'restart'
  | 'recover'
  | 'heartbeat'
  | 'nodeFlip'
  | 'nodeRecover'
  | 'jobStart'
  | 'jobCleanup';

const WEIGHTS: [ChurnAction, number][] = [
  ['schedule', 3],
  ['start', 10],
  ['finish', 5],
  ['replace', 8],
  ['restart', 10],
  ['recover', 5],
  ['heartbeat', 40],
  ['nodeFlip', 1],
  ['jobStart', 4],
  ['jobCleanup', 4],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((n, [, w]) => n + w, 0);

const SYSTEM_CLOCK: IntervalClock = {
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/** Keys with O(1) add, delete and uniform pick. */
class KeyPool {
  private readonly keys: string[] = [];
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.keys.length;
  }

  add(key: string): void {
    if (this.index.has(key)) return;
    this.index.set(key, this.keys.length);
    this.keys.push(key);
  }

  delete(key: string): void {
    const i = this.index.get(key);
    if (i === undefined) return;
    const last = this.keys.pop()!;
    if (last !== key) {
      this.keys[i] = last;
      this.index.set(last, i);
    }
    this.index.delete(key);
  }

  pick(random: RandomFn): string | undefined {
    return this.keys.length > 0 ? this.keys[randomInt(random, this.keys.length)] : undefined;
  }
}

type PodClass = 'unscheduled' | 'pending' | 'running' | 'crashing' | 'done';
const CHURNED_OWNERS = new Set(['ReplicaSet', 'StatefulSet', 'DaemonSet']);

/** Which pool a pod belongs to; undefined for pods the churn leaves alone. */
function classify(pod: KubeObject): PodClass | undefined {
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

function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}

interface Index {
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

export class Churn {
  /** How many changes of each kind were made. */
  readonly stats: Record<ChurnAction, number> = {
    schedule: 0,
    start: 0,
    finish: 0,
    replace: 0,
    restart: 0,
    recover: 0,
    heartbeat: 0,
    nodeFlip: 0,
    nodeRecover: 0,
    jobStart: 0,
    jobCleanup: 0,
  };
  private readonly random: RandomFn;
  private readonly now: () => Date;
  private readonly clock: IntervalClock;
  private readonly intervalMs: number;
  private index: Index | undefined;
  private timer: unknown;
  private ticks = 0;
  private carry = 0;

  constructor(
    private readonly store: SimStore,
    private readonly opts: ChurnOptions,
  ) {
    if (!(opts.ratePerSecond >= 0)) {
      throw new RangeError(`churn ratePerSecond must be >= 0, received ${opts.ratePerSecond}`);
    }
    this.random = mulberry32(opts.seed ^ 0x5eed);
    this.now = opts.now ?? (() => new Date());
    this.clock = opts.clock ?? SYSTEM_CLOCK;
    this.intervalMs = opts.intervalMs ?? 100;
  }

  start(): void {
    if (this.timer !== undefined || this.opts.ratePerSecond === 0) return;
    this.timer = this.clock.setInterval(() => {
      this.carry += (this.opts.ratePerSecond * this.intervalMs) / 1000;
      const n = Math.floor(this.carry);
      this.carry -= n;
      if (n > 0) this.tick(n);
    }, this.intervalMs);
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearInterval(this.timer);
    this.timer = undefined;
    for (const unsubscribe of this.index?.unsubscribe ?? []) unsubscribe();
    this.index = undefined;
  }

  /** Makes `n` changes now. */
  tick(n = 1): void {
    const index = this.ensureIndex();
    for (let i = 0; i < n; i++) {
      this.ticks += 1;
      let action: ChurnAction | undefined;
      try {
        action = this.recoverDueNode(index) ?? this.randomAction(index);
      } catch (err) {
        // Someone else changed or deleted the object in between (the API, the job
        // controller, a namespace deletion): skip this change.
        if (!(err instanceof StoreError)) throw err;
      }
      if (action) this.stats[action] += 1;
    }
  }

  private ensureIndex(): Index {
    if (this.index) return this.index;
    const pools = {
      unscheduled: new KeyPool(),
      pending: new KeyPool(),
      running: new KeyPool(),
      crashing: new KeyPool(),
      done: new KeyPool(),
    };
    const index: Index = {
      pools,
      classOf: new Map(),
      finishedJobs: new KeyPool(),
      nodes: [...this.store.scan('nodes')].map((n) => n.metadata.name),
      downUntil: new Map(),
      podsPerNamespace: new Map(),
      namespaces: [...this.store.scan('namespaces')]
        .map((n) => n.metadata.name)
        .filter((n) => n !== 'kube-system'),
      initialJobs: this.store.count('jobs'),
      unsubscribe: [],
    };
    for (const pod of this.store.scan('pods')) this.indexPod(index, pod, true);
    for (const job of this.store.scan('jobs')) this.indexJob(index, job, true);
    index.unsubscribe.push(
      this.store.subscribe('pods', (e) => this.indexPod(index, e.object, e.type !== 'DELETED', e)),
      this.store.subscribe('jobs', (e) => this.indexJob(index, e.object, e.type !== 'DELETED')),
      this.store.subscribe('nodes', () => {
        index.schedulable = undefined;
      }),
      this.store.subscribe('namespaces', (e) => {
        const name = e.object.metadata.name;
        index.namespaces = index.namespaces.filter((n) => n !== name);
        if (e.type !== 'DELETED' && name !== 'kube-system') index.namespaces.push(name);
      }),
    );
    this.index = index;
    return index;
  }

  private indexPod(index: Index, pod: KubeObject, exists: boolean, event?: StoredEvent): void {
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

  private indexJob(index: Index, job: KubeObject, exists: boolean): void {
    const key = objectKey(job.metadata.namespace, job.metadata.name);
    if (exists && jobFinished(job)) index.finishedJobs.add(key);
    else index.finishedJobs.delete(key);
  }

  private randomAction(index: Index): ChurnAction | undefined {
    let r = this.random() * TOTAL_WEIGHT;
    let chosen: ChurnAction = 'heartbeat';
    for (const [action, weight] of WEIGHTS) {
      r -= weight;
      if (r < 0) {
        chosen = action;
        break;
      }
    }
    if (this.act(index, chosen)) return chosen;
    return this.act(index, 'heartbeat') ? 'heartbeat' : undefined;
  }

  private act(index: Index, action: ChurnAction): boolean {
    const pick = (c: PodClass) => {
      const key = index.pools[c].pick(this.random);
      return key ? this.store.get('pods', ...splitKey(key)) : undefined;
    };
    switch (action) {
      case 'schedule':
        return this.schedule(index, pick('unscheduled'));
      case 'start':
        return this.startPod(pick('pending'));
      case 'finish':
        return this.finish(pick('running'));
      case 'replace':
        return this.replace(index, pick('done'));
      case 'restart':
        return this.restart(pick('running'));
      case 'recover':
        return this.recoverPod(pick('crashing'));
      case 'heartbeat':
        return this.heartbeat(index);
      case 'nodeFlip':
        return this.nodeFlip(index);
      case 'jobStart':
        return this.jobStart(index);
      case 'jobCleanup':
        return this.jobCleanup(index);
      default:
        return false;
    }
  }

  private nowIso(): string {
    return isoTime(this.now().getTime());
  }

  private schedulableNodes(index: Index): KubeObject[] {
    index.schedulable ??= schedulableNodes(this.store);
    return index.schedulable;
  }

  private podState(
    state: PodState,
    pod: KubeObject,
    spec: Json,
    extra: { hostIP?: string; podIP?: string; started?: string },
  ): Json {
    const now = this.nowIso();
    return podStatus({
      state,
      spec,
      created: pod.metadata.creationTimestamp ?? now,
      started: extra.started ?? now,
      ready: now,
      hostIP: extra.hostIP,
      podIP: extra.podIP,
      podRef: `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
      nodeCount: this.store.count('nodes'),
      random: this.random,
    });
  }

  /** Writes a pod with a new status (and spec), replacing the kubelet's managedFields entry. */
  private writePod(pod: KubeObject, spec: Json, status: Json): void {
    const managedFields = [
      ...((pod.metadata.managedFields ?? []) as Json[]).filter((m) => m.subresource !== 'status'),
      statusEntry(status, this.nowIso()),
    ];
    this.store.update('pods', { ...pod, metadata: { ...pod.metadata, managedFields }, spec, status });
  }

  private schedule(index: Index, pod: KubeObject | undefined): boolean {
    if (!pod) return false;
    const nodes = this.schedulableNodes(index);
    if (nodes.length === 0) return false;
    const node = nodes[randomInt(this.random, nodes.length)];
    const spec = { ...pod.spec, nodeName: node.metadata.name };
    this.writePod(pod, spec, this.podState('creating', pod, spec, { hostIP: nodeInternalIP(node) }));
    return true;
  }

  private startPod(pod: KubeObject | undefined): boolean {
    if (!pod) return false;
    const spec = pod.spec as Json;
    const node = this.store.get('nodes', undefined, String(spec.nodeName));
    const hostIP = (pod.status?.hostIP as string | undefined) ?? (node && nodeInternalIP(node));
    const podIP = spec.hostNetwork || !node ? hostIP : randomPodIP(node, this.random);
    this.writePod(pod, spec, this.podState('running', pod, spec, { hostIP, podIP }));
    return true;
  }

  private finish(pod: KubeObject | undefined): boolean {
    if (!pod) return false;
    const r = this.random();
    const state: PodState = r < 0.5 ? 'failed' : r < 0.8 ? 'evicted' : 'succeeded';
    const status = pod.status as Json;
    const next = this.podState(state, pod, pod.spec as Json, {
      hostIP: status.hostIP as string | undefined,
      podIP: status.podIP as string | undefined,
      started: status.startTime as string | undefined,
    });
    this.writePod(pod, pod.spec as Json, next);
    return true;
  }

  /** A finished pod is deleted and its controller creates a new one, as a ReplicaSet would. */
  private replace(index: Index, pod: KubeObject | undefined): boolean {
    if (!pod) return false;
    const meta = pod.metadata;
    const owner = meta.ownerReferences!.find((o) => o.controller)!;
    const namespace = meta.namespace!;
    this.store.delete('pods', namespace, meta.name);
    const { nodeName, ...unscheduled } = pod.spec as Json;
    let node: KubeObject | undefined;
    if (owner.kind === 'DaemonSet') {
      node = this.store.get('nodes', undefined, String(nodeName));
    } else {
      const nodes = this.schedulableNodes(index);
      node = nodes.length > 0 ? nodes[randomInt(this.random, nodes.length)] : undefined;
    }
    const spec = node ? { ...unscheduled, nodeName: node.metadata.name } : unscheduled;
    const generateName = meta.generateName ?? `${meta.name.slice(0, meta.name.lastIndexOf('-'))}-`;
    let name = meta.name;
    if (owner.kind !== 'StatefulSet') {
      do name = `${generateName}${randomSuffix(this.random)}`;
      while (this.store.get('pods', namespace, name));
    }
    const now = this.nowIso();
    const status = podStatus({
      state: node ? 'creating' : 'unschedulable',
      spec,
      created: now,
      hostIP: node && nodeInternalIP(node),
      nodeCount: this.store.count('nodes'),
      random: this.random,
    });
    const metadata: Json = { name };
    if (owner.kind !== 'StatefulSet') metadata.generateName = generateName;
    Object.assign(metadata, {
      namespace,
      uid: randomUid(this.random),
      creationTimestamp: now,
      labels: meta.labels,
    });
    if (meta.annotations) metadata.annotations = meta.annotations;
    metadata.ownerReferences = meta.ownerReferences;
    const creator =
      ((meta.managedFields ?? []) as Json[]).find((m) => m.subresource === undefined) ??
      creatorEntry('kube-controller-manager', metadata, spec, now);
    metadata.managedFields = [{ ...creator, time: now }, statusEntry(status, now)];
    this.store.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: metadata as unknown as KubeObject['metadata'],
      spec,
      status,
    });
    return true;
  }

  /** A container exits and the kubelet restarts it; now and then it goes into CrashLoopBackOff. */
  private restart(pod: KubeObject | undefined): boolean {
    if (!pod) return false;
    const status = pod.status as Json;
    const statuses = (status.containerStatuses ?? []) as Json[];
    if (statuses.length === 0) return false;
    const now = this.nowIso();
    const i = randomInt(this.random, statuses.length);
    const c = statuses[i];
    const crash = this.random() < 0.3;
    const oom = this.random() < 0.3;
    const lastState = {
      terminated: {
        exitCode: oom ? 137 : 1,
        reason: oom ? 'OOMKilled' : 'Error',
        startedAt: ((c.state as Json).running as Json | undefined)?.startedAt ?? status.startTime,
        finishedAt: now,
        containerID: c.containerID,
      },
    };
    const restartCount = Number(c.restartCount ?? 0) + 1;
    const next: Json = crash
      ? {
          ...c,
          state: {
            waiting: {
              reason: 'CrashLoopBackOff',
              message: `back-off 10s restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
            },
          },
          lastState,
          ready: false,
          restartCount,
          started: false,
        }
      : {
          ...c,
          state: { running: { startedAt: now } },
          lastState,
          restartCount,
          containerID: randomHex(this.random, 64, 'containerd://'),
        };
    const containerStatuses = statuses.map((s, k) => (k === i ? next : s));
    const conditions = crash ? this.readiness(status, false, [String(c.name)], now) : status.conditions;
    this.writePod(pod, pod.spec as Json, { ...status, conditions, containerStatuses });
    return true;
  }

  /** A crash-looping container finally starts and stays up. */
  private recoverPod(pod: KubeObject | undefined): boolean {
    if (!pod) return false;
    const status = pod.status as Json;
    const now = this.nowIso();
    const containerStatuses = ((status.containerStatuses ?? []) as Json[]).map((c) =>
      (c.state as Json).waiting
        ? {
            ...c,
            state: { running: { startedAt: now } },
            ready: true,
            started: true,
            containerID: randomHex(this.random, 64, 'containerd://'),
          }
        : c,
    );
    const conditions = this.readiness(status, true, [], now);
    this.writePod(pod, pod.spec as Json, { ...status, conditions, containerStatuses });
    return true;
  }

  private readiness(status: Json, ready: boolean, unready: string[], now: string): Json[] {
    const message = `containers with unready status: [${unready.join(' ')}]`;
    return ((status.conditions ?? []) as Json[]).map((c) => {
      if (c.type !== 'Ready' && c.type !== 'ContainersReady') return c;
      return ready
        ? { type: c.type, status: 'True', lastProbeTime: null, lastTransitionTime: now }
        : {
            type: c.type,
            status: 'False',
            lastProbeTime: null,
            lastTransitionTime: now,
            reason: 'ContainersNotReady',
            message,
          };
    });
  }

  private pickNode(index: Index, accept: (node: KubeObject) => boolean): KubeObject | undefined {
    if (index.nodes.length === 0) return undefined;
    const start = randomInt(this.random, index.nodes.length);
    for (let k = 0; k < Math.min(index.nodes.length, 20); k++) {
      const node = this.store.get('nodes', undefined, index.nodes[(start + k) % index.nodes.length]);
      if (node && accept(node)) return node;
    }
    return undefined;
  }

  /** The kubelet's status update: only the heartbeat times move. */
  private heartbeat(index: Index): boolean {
    const node = this.pickNode(index, (n) => !index.downUntil.has(n.metadata.name));
    if (!node) return false;
    const now = this.nowIso();
    const conditions = ((node.status?.conditions ?? []) as Json[]).map((c) => ({
      ...c,
      lastHeartbeatTime: now,
    }));
    this.writeNode(node, node.spec, { ...node.status, conditions }, now);
    return true;
  }

  /** A node stops posting status: the node lifecycle controller marks it Unknown and taints it. */
  private nodeFlip(index: Index): boolean {
    const node = this.pickNode(
      index,
      (n) =>
        !index.downUntil.has(n.metadata.name) &&
        ((n.status?.conditions ?? []) as Json[]).some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    if (!node) return false;
    const now = this.nowIso();
    const ready = ((node.status?.conditions ?? []) as Json[]).find((c) => c.type === 'Ready')!;
    const conditions = nodeConditions(
      'Unknown',
      String(ready.lastHeartbeatTime ?? now),
      String(ready.lastTransitionTime ?? now),
      now,
    );
    const taints = [...((node.spec?.taints ?? []) as Json[]), ...readinessTaints('Unknown', now)];
    index.downUntil.set(node.metadata.name, this.ticks + 20 + randomInt(this.random, 40));
    this.writeNode(node, { ...node.spec, taints }, { ...node.status, conditions }, undefined);
    return true;
  }

  private recoverDueNode(index: Index): ChurnAction | undefined {
    for (const [name, due] of index.downUntil) {
      if (due > this.ticks) continue;
      index.downUntil.delete(name);
      const node = this.store.get('nodes', undefined, name);
      if (!node) continue;
      const now = this.nowIso();
      const taints = ((node.spec?.taints ?? []) as Json[]).filter(
        (t) => t.key !== 'node.kubernetes.io/unreachable' && t.key !== 'node.kubernetes.io/not-ready',
      );
      const { taints: _old, ...spec } = node.spec as Json;
      this.writeNode(
        node,
        taints.length > 0 ? { ...spec, taints } : spec,
        { ...node.status, conditions: nodeConditions('True', now, now, now) },
        now,
      );
      return 'nodeRecover';
    }
    return undefined;
  }

  private writeNode(node: KubeObject, spec: unknown, status: unknown, kubeletTime: string | undefined): void {
    const managedFields = kubeletTime
      ? ((node.metadata.managedFields ?? []) as Json[]).map((m) =>
          m.manager === 'kubelet' && m.subresource === 'status' ? { ...m, time: kubeletTime } : m,
        )
      : node.metadata.managedFields;
    this.store.update('nodes', { ...node, metadata: { ...node.metadata, managedFields }, spec, status });
  }

  private jobStart(index: Index): boolean {
    if (this.store.count('jobs') >= Math.ceil(index.initialJobs * 1.1) + 2 || index.namespaces.length === 0)
      return false;
    const cap = this.opts.maxPodsPerNamespace ?? Number.POSITIVE_INFINITY;
    const start = randomInt(this.random, index.namespaces.length);
    let namespace: string | undefined;
    for (let k = 0; k < index.namespaces.length; k++) {
      const ns = index.namespaces[(start + k) % index.namespaces.length];
      if ((index.podsPerNamespace.get(ns) ?? 0) + 5 <= cap) {
        namespace = ns;
        break;
      }
    }
    if (!namespace) return false;
    const job = jobManifest(this.random, namespace, 'pending');
    const base = String(job.metadata.labels?.['app.kubernetes.io/name'] ?? 'job');
    let name: string;
    do name = `${base}-${randomSuffix(this.random)}`;
    while (this.store.get('jobs', namespace, name));
    this.store.create('jobs', {
      ...job,
      metadata: { ...job.metadata, name, uid: randomUid(this.random), creationTimestamp: this.nowIso() },
    });
    return true;
  }

  /** A finished job's TTL runs out: the job and its pods are deleted. */
  private jobCleanup(index: Index): boolean {
    if (this.store.count('jobs') <= Math.floor(index.initialJobs * 0.9) - 2) return false;
    const key = index.finishedJobs.pick(this.random);
    if (!key) return false;
    const [namespace, name] = splitKey(key);
    const job = this.store.get('jobs', namespace, name);
    if (!job) return false;
    for (const pod of [...this.store.scan('pods', { namespace })]) {
      if ((pod.metadata.ownerReferences ?? []).some((o) => o.uid === job.metadata.uid)) {
        this.store.delete('pods', namespace, pod.metadata.name);
      }
    }
    this.store.delete('jobs', namespace, name);
    return true;
  }
}
