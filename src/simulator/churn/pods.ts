/**
 * The life of a controller-owned pod, one step per change: scheduled to a node, started,
 * a container restarting (now and then into CrashLoopBackOff) and recovering, finished,
 * and replaced by its controller with a new name and uid. Each step is one store write
 * with the status the kubelet (or the controller) would write.
 */

import {
  creatorEntry,
  nodeInternalIP,
  type PodState,
  podStatus,
  randomHex,
  randomInt,
  randomPodIP,
  randomSuffix,
  randomUid,
  statusEntry,
} from '../scenario/index.js';
import type { KubeObject } from '../types.js';
import type { ChurnContext, Json } from './state.js';

function podState(
  ctx: ChurnContext,
  state: PodState,
  pod: KubeObject,
  spec: Json,
  extra: { hostIP?: string; podIP?: string; started?: string },
): Json {
  const now = ctx.nowIso();
  return podStatus({
    state,
    spec,
    created: pod.metadata.creationTimestamp ?? now,
    started: extra.started ?? now,
    ready: now,
    hostIP: extra.hostIP,
    podIP: extra.podIP,
    podRef: `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
    nodeCount: ctx.store.count('nodes'),
    random: ctx.random,
  });
}

/** Writes a pod with a new status (and spec), replacing the kubelet's managedFields entry. */
function writePod(ctx: ChurnContext, pod: KubeObject, spec: Json, status: Json): void {
  const managedFields = [
    ...((pod.metadata.managedFields ?? []) as Json[]).filter((m) => m.subresource !== 'status'),
    statusEntry(status, ctx.nowIso()),
  ];
  ctx.store.update('pods', { ...pod, metadata: { ...pod.metadata, managedFields }, spec, status });
}

/**
 * Where the scheduler would put a pod: among the nodes new pods may go to (Ready, not
 * cordoned, untainted: churn/state.ts), the one with the most room where its requests fit
 * (scheduler.ts). Undefined when there is none: the pod stays (or becomes) unscheduled.
 */
function placeNode(ctx: ChurnContext, spec: Json): KubeObject | undefined {
  const placement = ctx.accounting.place(spec);
  if (!('node' in placement)) return undefined;
  return ctx.store.get('nodes', undefined, placement.node);
}

/** The scheduler binds an unscheduled pod to a node; its containers are being created. */
export function schedule(ctx: ChurnContext, pod: KubeObject | undefined): boolean {
  if (!pod) return false;
  const node = placeNode(ctx, pod.spec as Json);
  if (!node) return false;
  const spec = { ...pod.spec, nodeName: node.metadata.name };
  writePod(ctx, pod, spec, podState(ctx, 'creating', pod, spec, { hostIP: nodeInternalIP(node) }));
  return true;
}

/** A scheduled pod's containers start: it runs, with a pod IP. */
export function startPod(ctx: ChurnContext, pod: KubeObject | undefined): boolean {
  if (!pod) return false;
  const spec = pod.spec as Json;
  const node = ctx.store.get('nodes', undefined, String(spec.nodeName));
  const hostIP = (pod.status?.hostIP as string | undefined) ?? (node && nodeInternalIP(node));
  const podIP = spec.hostNetwork || !node ? hostIP : randomPodIP(node, ctx.random);
  writePod(ctx, pod, spec, podState(ctx, 'running', pod, spec, { hostIP, podIP }));
  return true;
}

/** A running pod ends: failed, evicted or succeeded. */
export function finish(ctx: ChurnContext, pod: KubeObject | undefined): boolean {
  if (!pod) return false;
  const r = ctx.random();
  const state: PodState = r < 0.5 ? 'failed' : r < 0.8 ? 'evicted' : 'succeeded';
  const status = pod.status as Json;
  const next = podState(ctx, state, pod, pod.spec as Json, {
    hostIP: status.hostIP as string | undefined,
    podIP: status.podIP as string | undefined,
    started: status.startTime as string | undefined,
  });
  writePod(ctx, pod, pod.spec as Json, next);
  return true;
}

/** A finished pod is deleted and its controller creates a new one, as a ReplicaSet would. */
export function replace(ctx: ChurnContext, pod: KubeObject | undefined): boolean {
  if (!pod) return false;
  const { store, random } = ctx;
  const meta = pod.metadata;
  const owner = meta.ownerReferences!.find((o) => o.controller)!;
  const namespace = meta.namespace!;
  store.delete('pods', namespace, meta.name);
  const { nodeName, ...unscheduled } = pod.spec as Json;
  let node: KubeObject | undefined;
  if (owner.kind === 'DaemonSet') {
    // Its node's slot, freed by the delete above, unless someone took the room meanwhile.
    node = ctx.accounting.fits(unscheduled, String(nodeName))
      ? store.get('nodes', undefined, String(nodeName))
      : undefined;
  } else {
    node = placeNode(ctx, unscheduled);
  }
  const spec = node ? { ...unscheduled, nodeName: node.metadata.name } : unscheduled;
  const generateName = meta.generateName ?? `${meta.name.slice(0, meta.name.lastIndexOf('-'))}-`;
  let name = meta.name;
  if (owner.kind !== 'StatefulSet') {
    do name = `${generateName}${randomSuffix(random)}`;
    while (store.get('pods', namespace, name));
  }
  const now = ctx.nowIso();
  const status = podStatus({
    state: node ? 'creating' : 'unschedulable',
    spec,
    created: now,
    hostIP: node && nodeInternalIP(node),
    nodeCount: store.count('nodes'),
    random,
  });
  const metadata: Json = { name };
  if (owner.kind !== 'StatefulSet') metadata.generateName = generateName;
  Object.assign(metadata, {
    namespace,
    uid: randomUid(random),
    creationTimestamp: now,
    labels: meta.labels,
  });
  if (meta.annotations) metadata.annotations = meta.annotations;
  metadata.ownerReferences = meta.ownerReferences;
  const creator =
    ((meta.managedFields ?? []) as Json[]).find((m) => m.subresource === undefined) ??
    creatorEntry('kube-controller-manager', metadata, spec, now);
  metadata.managedFields = [{ ...creator, time: now }, statusEntry(status, now)];
  store.create('pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: metadata as unknown as KubeObject['metadata'],
    spec,
    status,
  });
  return true;
}

/** A container exits and the kubelet restarts it; now and then it goes into CrashLoopBackOff. */
export function restart(ctx: ChurnContext, pod: KubeObject | undefined): boolean {
  if (!pod) return false;
  const { random } = ctx;
  const status = pod.status as Json;
  const statuses = (status.containerStatuses ?? []) as Json[];
  if (statuses.length === 0) return false;
  const now = ctx.nowIso();
  const i = randomInt(random, statuses.length);
  const c = statuses[i];
  const crash = random() < 0.3;
  const oom = random() < 0.3;
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
        containerID: randomHex(random, 64, 'containerd://'),
      };
  const containerStatuses = statuses.map((s, k) => (k === i ? next : s));
  const conditions = crash ? readiness(status, false, [String(c.name)], now) : status.conditions;
  writePod(ctx, pod, pod.spec as Json, { ...status, conditions, containerStatuses });
  if (crash && pod.spec?.nodeName) {
    ctx.recorder?.record({
      involved: pod,
      fieldPath: `spec.containers{${c.name}}`,
      reason: 'BackOff',
      message: `Back-off restarting failed container ${c.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
      type: 'Warning',
      source: { component: 'kubelet', host: String(pod.spec.nodeName) },
    });
  }
  return true;
}

/** A crash-looping container finally starts and stays up. */
export function recoverPod(ctx: ChurnContext, pod: KubeObject | undefined): boolean {
  if (!pod) return false;
  const status = pod.status as Json;
  const now = ctx.nowIso();
  const containerStatuses = ((status.containerStatuses ?? []) as Json[]).map((c) =>
    (c.state as Json).waiting
      ? {
          ...c,
          state: { running: { startedAt: now } },
          ready: true,
          started: true,
          containerID: randomHex(ctx.random, 64, 'containerd://'),
        }
      : c,
  );
  const conditions = readiness(status, true, [], now);
  writePod(ctx, pod, pod.spec as Json, { ...status, conditions, containerStatuses });
  return true;
}

/** The Ready and ContainersReady conditions for a pod whose containers are (not) all ready. */
function readiness(status: Json, ready: boolean, unready: string[], now: string): Json[] {
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
