/**
 * Pods of workloads: one shared, frozen pod template per owner, and pods that reference
 * it, each with its own name, uid, node, state and status. The scenario's builders
 * (deployments, stateful sets, kube-system, jobs) describe a workload and add its pods here.
 */
import { podRequest } from '../resources.js';
import type { KubeObject, OwnerReference } from '../types.js';
import { deepFreeze, type Json } from './json.js';
import { creatorEntry, statusEntry } from './managed-fields.js';
import type { NodeSlot, PodIPAllocator } from './nodes.js';
import { type PodState, podStatus } from './pod-status.js';
import { isoTime, MINUTE, type RandomFn, randomInt, randomUid, SECOND } from './random.js';
import type { StatusMemo } from './status-memo.js';

export type OwnerKind = 'ReplicaSet' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'Node';

/** What a workload's pods share: one frozen template, owner, labels, times and creator entry. */
export interface Workload {
  ownerKind: OwnerKind;
  namespace: string;
  /** generateName for owners that generate names. */
  generateName?: string;
  labels: Readonly<Record<string, string>>;
  annotations?: Readonly<Record<string, string>>;
  ownerReferences: readonly OwnerReference[];
  spec: Json;
  manager: string;
  created: string;
  started: string;
  ready: string;
  hostNetwork: boolean;
  /** The creator's managedFields entry, built from the first pod and shared by all. */
  entry?: Json;
}

/** What one pod has of its own, over its workload's template (each field optional). */
export interface PodExtras {
  labels?: Record<string, string>;
  spec?: Json;
  restartCount?: number;
  lastRestart?: string;
  finalizers?: readonly string[];
  created?: string;
  started?: string;
  ready?: string;
}

/** One scenario build in progress: its PRNG and shared memos, its nodes, the pods made so far. */
export interface BuildContext {
  random: RandomFn;
  memo: StatusMemo;
  ips: PodIPAllocator;
  nowMs: number;
  nodes: NodeSlot[];
  /** Where regular pods go (all nodes if there is none). */
  workerTargets: NodeSlot[];
  /** Pods made so far, in the order made, with their `namespace/name` keys. */
  pods: { key: string; obj: KubeObject; state: PodState }[];
  /** Keys of the pods made so far, so that generated names stay unique. */
  keys: Set<string>;
}

/** When a workload was last rolled out: up to `maxAge` ago, recent rollouts more likely. */
export function rolloutTime(ctx: BuildContext, maxAge: number): number {
  const r = ctx.random();
  return ctx.nowMs - Math.floor(r * r * maxAge) - MINUTE;
}

/** A workload's pods' created, started and ready times, a few seconds apart. */
export function workloadTimes(
  ctx: BuildContext,
  created: number,
): Pick<Workload, 'created' | 'started' | 'ready'> {
  const started = created + SECOND * (1 + randomInt(ctx.random, 3));
  return {
    created: isoTime(created),
    started: isoTime(started),
    ready: isoTime(started + SECOND * (3 + randomInt(ctx.random, 40))),
  };
}

/** A name from `make` that no pod in `namespace` has yet. */
export function uniqueName(ctx: BuildContext, namespace: string, make: () => string): string {
  for (;;) {
    const name = make();
    const key = `${namespace}/${name}`;
    if (!ctx.keys.has(key)) return name;
  }
}

/** A controller owner reference, as controllers set on what they create. */
export function ownerRef(apiVersion: string, kind: string, name: string, uid: string): OwnerReference {
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}

function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * Makes one pod of `w` on `node` in `state` and adds it to the context. A pod that should
 * be scheduled but has no node to go to is unschedulable instead.
 */
export function makePod(
  ctx: BuildContext,
  w: Workload,
  name: string,
  wanted: NodeSlot | undefined,
  state: PodState,
  extra: PodExtras = {},
): void {
  const base = extra.spec ? deepFreeze(extra.spec) : w.spec;
  const node = state === 'unschedulable' ? undefined : placed(ctx, w, base, wanted, state);
  const scheduled = node !== undefined;
  const spec = node ? Object.freeze({ ...base, nodeName: node.name }) : base;
  const effective: PodState = scheduled || state === 'unschedulable' ? state : 'unschedulable';
  const hasIP = scheduled && effective !== 'creating' && effective !== 'evicted';
  const podIP = hasIP && node ? (w.hostNetwork ? node.ip : ctx.ips.next(node)) : undefined;
  const uid = randomUid(ctx.random);
  const created = extra.created ?? w.created;
  const status = podStatus({
    state: effective,
    spec,
    created,
    started: extra.started ?? w.started,
    ready: extra.ready ?? w.ready,
    hostIP: node?.ip,
    podIP,
    restartCount: extra.restartCount,
    lastRestart: extra.lastRestart,
    podRef: `${name}_${w.namespace}(${uid})`,
    nodeCount: ctx.nodes.length,
    random: ctx.random,
    memo: ctx.memo,
  });
  const labels = extra.labels ? deepFreeze(extra.labels) : w.labels;
  const metadata: Json = { name };
  if (w.generateName) metadata.generateName = w.generateName;
  metadata.namespace = w.namespace;
  metadata.uid = uid;
  metadata.creationTimestamp = created;
  metadata.labels = labels;
  if (w.annotations) metadata.annotations = w.annotations;
  metadata.ownerReferences = w.ownerReferences;
  if (extra.finalizers) metadata.finalizers = extra.finalizers;
  if (!w.entry) w.entry = creatorEntry(w.manager, metadata, spec, w.created);
  const statusTime = extra.lastRestart ?? extra.ready ?? w.ready;
  metadata.managedFields = Object.freeze([w.entry, statusEntry(status, statusTime)]);
  const key = podKey(w.namespace, name);
  ctx.keys.add(key);
  ctx.pods.push({
    key,
    obj: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: metadata as unknown as KubeObject['metadata'],
      spec,
      status,
    },
    state: effective,
  });
}

/** Pod states that hold their node's resources (not finished). */
const HOLDS: ReadonlySet<PodState> = new Set(['creating', 'imagePull', 'running', 'crashLoop']);

/**
 * The node a pod goes on, so that no node's summed requests exceed its allocatable (the
 * scheduler's NodeResourcesFit): `wanted` if the pod fits there, else the next worker
 * target (in slot order from it) where it fits, else none (the pod is unschedulable).
 * DaemonSet and static pods stay on their node, as they do on a cluster. No random draw,
 * so the rest of the scenario stays as it was.
 */
function placed(
  ctx: BuildContext,
  w: Workload,
  spec: Json,
  wanted: NodeSlot | undefined,
  state: PodState,
): NodeSlot | undefined {
  if (!wanted || !HOLDS.has(state)) return wanted;
  const request = podRequest(spec);
  const fits = (n: NodeSlot) =>
    n.room.pods >= 1 && n.room.milliCpu >= request.milliCpu && n.room.memory >= request.memory;
  let node: NodeSlot | undefined = wanted;
  if (w.ownerKind !== 'DaemonSet' && w.ownerKind !== 'Node' && !fits(wanted)) {
    const targets = ctx.workerTargets.length > 0 ? ctx.workerTargets : ctx.nodes;
    const start = Math.max(0, targets.indexOf(wanted));
    node = undefined;
    for (let k = 1; k <= targets.length; k++) {
      const candidate = targets[(start + k) % targets.length];
      if (fits(candidate)) {
        node = candidate;
        break;
      }
    }
    if (!node) return undefined;
  }
  node.room.milliCpu -= request.milliCpu;
  node.room.memory -= request.memory;
  node.room.pods -= 1;
  return node;
}

/** A random node for a regular pod, or undefined when the cluster has no nodes. */
export function pickWorker(ctx: BuildContext): NodeSlot | undefined {
  const targets = ctx.workerTargets.length > 0 ? ctx.workerTargets : ctx.nodes;
  return targets.length > 0 ? targets[randomInt(ctx.random, targets.length)] : undefined;
}

/** Most pods run; a few are pending, crash-looping, evicted or done, as in a real cluster. */
function workloadPodState(random: RandomFn): { state: PodState; restarts: number } {
  const r = random();
  if (r < 0.005) return { state: 'unschedulable', restarts: 0 };
  if (r < 0.015) return { state: 'creating', restarts: 0 };
  if (r < 0.022) return { state: 'imagePull', restarts: 0 };
  if (r < 0.04) return { state: 'crashLoop', restarts: 5 + randomInt(random, 300) };
  if (r < 0.052) return { state: 'evicted', restarts: 0 };
  if (r < 0.056) return { state: 'failed', restarts: 0 };
  if (r < 0.06) return { state: 'succeeded', restarts: 0 };
  if (r < 0.16) return { state: 'running', restarts: 1 + randomInt(random, 4) };
  return { state: 'running', restarts: 0 };
}

/** `count` pods of `w` in the usual mix of states, named by `namer`, with `perPod`'s extras. */
export function addWorkloadPods(
  ctx: BuildContext,
  w: Workload,
  count: number,
  namer: (i: number) => string,
  perPod?: (i: number, name: string, node: NodeSlot | undefined) => PodExtras,
): void {
  for (let i = 0; i < count; i++) {
    const { state, restarts } = workloadPodState(ctx.random);
    const name = namer(i);
    const node = state === 'unschedulable' ? undefined : pickWorker(ctx);
    const extra = perPod?.(i, name, node) ?? {};
    if (restarts > 0) {
      extra.restartCount = restarts;
      const readyMs = Date.parse(w.ready);
      extra.lastRestart = isoTime(readyMs + randomInt(ctx.random, Math.max(1, ctx.nowMs - readyMs)));
    }
    makePod(ctx, w, name, node, state, extra);
  }
}
