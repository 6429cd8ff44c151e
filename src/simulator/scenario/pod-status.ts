/**
 * Pod statuses: what a kubelet (or, for an unschedulable pod, the scheduler) reports for a
 * pod in a given state. The scenario draws pods in every state; the job controller and
 * the churn move live pods between states with the same function.
 */
import { appContainerStatus, type ContainerStatusContext, initContainerStatus } from './container-status.js';
import { deepFreeze, type Json } from './json.js';
import { condition, podConditions } from './pod-conditions.js';
import type { RandomFn } from './random.js';
import { hostIPsOf, qosClass, type Shared, type StatusMemo } from './status-memo.js';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** What a pod is doing, one level finer than its phase. */
export type PodState =
  | 'unschedulable'
  | 'creating'
  | 'imagePull'
  | 'running'
  | 'crashLoop'
  | 'succeeded'
  | 'failed'
  | 'evicted';

export const PHASE_OF: Record<PodState, PodPhase> = {
  unschedulable: 'Pending',
  creating: 'Pending',
  imagePull: 'Pending',
  running: 'Running',
  crashLoop: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  evicted: 'Failed',
};

export interface PodStatusInput {
  state: PodState;
  /** The pod spec (containers and init containers are read). */
  spec: Json;
  /** When the pod was created (and scheduled). */
  created: string;
  /** When its sandbox started (startTime). Default `created`. */
  started?: string;
  /** When its containers became ready, or finished for terminal states. Default `started`. */
  ready?: string;
  hostIP?: string;
  podIP?: string;
  /** Restarts of the first container, with when the last one happened. */
  restartCount?: number;
  lastRestart?: string;
  /** `name_namespace(uid)`, for the CrashLoopBackOff message. */
  podRef?: string;
  /** How many nodes the scheduler considered, for the Unschedulable message. */
  nodeCount?: number;
  /** For container IDs. */
  random: RandomFn;
  /** Shares conditions, states and volume mounts between pods built with the same memo. */
  memo?: StatusMemo;
}

/**
 * The status a kubelet (or, for an unschedulable pod, the scheduler) would report for a
 * pod in `state`, with conditions in the API server's order.
 */
export function podStatus(i: PodStatusInput): Json {
  const { state, spec, memo, random } = i;
  const started = i.started ?? i.created;
  const ready = i.ready ?? started;
  const containers = spec.containers as Json[];
  const inits = (spec.initContainers as Json[] | undefined) ?? [];
  const names = containers.map((c) => c.name).join(' ');
  const shared: Shared = (key, make) => (memo ? memo.get(key, make) : make());
  const qos = qosClass(spec, memo);

  if (state === 'unschedulable') {
    const n = i.nodeCount ?? 1;
    const message = `0/${n} nodes are available: ${n} Insufficient cpu. preemption: 0/${n} nodes are available: ${n} No preemption victims found for incoming pod.`;
    return {
      phase: 'Pending',
      conditions: shared(`u|${i.created}|${n}`, () => [
        condition('PodScheduled', 'False', i.created, 'Unschedulable', message),
      ]),
      qosClass: qos,
    };
  }

  const phase = PHASE_OF[state];
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const conditions = shared(`c|${state}|${i.created}|${started}|${ready}|${names}|${inits.length}`, () =>
    podConditions(state, { created: i.created, started, ready, containers, inits, names }),
  );
  const x: ContainerStatusContext = {
    state,
    started,
    ready,
    running: shared(`r|${started}`, () => ({ running: { startedAt: started } })),
    terminal,
    inits: inits.length,
    restartCount: i.restartCount,
    lastRestart: i.lastRestart,
    podRef: i.podRef,
    random,
    memo,
    shared,
  };
  // Init containers first: container IDs are drawn in the order the kubelet starts them.
  const initContainerStatuses = inits.length > 0 ? inits.map((c) => initContainerStatus(c, x)) : undefined;
  const containerStatuses = containers.map((c, index) => appContainerStatus(c, index, x));
  const hostIP = i.hostIP;
  const hostIPs = hostIP ? hostIPsOf(hostIP, memo) : undefined;
  const podIP = state === 'creating' || state === 'evicted' ? undefined : i.podIP;
  const podIPs = podIP ? (podIP === hostIP ? hostIPs : deepFreeze([{ ip: podIP }])) : undefined;
  Object.freeze(containerStatuses);
  if (initContainerStatuses) Object.freeze(initContainerStatuses);
  deepFreeze(conditions);
  return statusObject({
    phase,
    conditions,
    evicted: state === 'evicted',
    hostIP,
    hostIPs,
    podIP,
    podIPs,
    startTime: started,
    initContainerStatuses,
    containerStatuses,
    qosClass: qos,
  });
}

const EVICTED_MESSAGE =
  'The node was low on resource: memory. Threshold quantity: 100Mi, available: 91236Ki. ';

/**
 * The status object with its keys in the API server's order, written as literals so
 * that V8 keeps every property in-object (a pod status grown key by key costs more).
 */
function statusObject(p: {
  phase: string;
  conditions: unknown;
  evicted: boolean;
  hostIP?: string;
  hostIPs?: unknown;
  podIP?: string;
  podIPs?: unknown;
  startTime: string;
  initContainerStatuses?: unknown;
  containerStatuses: unknown;
  qosClass: string;
}): Json {
  const {
    phase,
    conditions,
    hostIP,
    hostIPs,
    podIP,
    podIPs,
    startTime,
    initContainerStatuses,
    containerStatuses,
    qosClass,
  } = p;
  if (!hostIP || p.evicted) {
    const out: Json = { phase, conditions };
    if (p.evicted) {
      out.message = EVICTED_MESSAGE;
      out.reason = 'Evicted';
    }
    if (hostIP) {
      out.hostIP = hostIP;
      out.hostIPs = hostIPs;
    }
    out.startTime = startTime;
    if (initContainerStatuses) out.initContainerStatuses = initContainerStatuses;
    out.containerStatuses = containerStatuses;
    out.qosClass = qosClass;
    return Object.freeze(out);
  }
  if (podIP) {
    return Object.freeze(
      initContainerStatuses
        ? {
            phase,
            conditions,
            hostIP,
            hostIPs,
            podIP,
            podIPs,
            startTime,
            initContainerStatuses,
            containerStatuses,
            qosClass,
          }
        : { phase, conditions, hostIP, hostIPs, podIP, podIPs, startTime, containerStatuses, qosClass },
    );
  }
  return Object.freeze(
    initContainerStatuses
      ? { phase, conditions, hostIP, hostIPs, startTime, initContainerStatuses, containerStatuses, qosClass }
      : { phase, conditions, hostIP, hostIPs, startTime, containerStatuses, qosClass },
  );
}
