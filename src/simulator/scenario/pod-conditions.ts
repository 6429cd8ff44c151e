/** A pod's conditions as the kubelet reports them, in the API server's order. */
import type { Json } from './json.js';
import type { PodState } from './pod-status.js';

export function condition(
  type: string,
  status: string,
  time: string,
  reason?: string,
  message?: string,
): Json {
  const c: Json = { type, status, lastProbeTime: null, lastTransitionTime: time };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/** When things happened to the pod, and what it runs (the containers' names are read). */
export interface ConditionTimes {
  created: string;
  started: string;
  ready: string;
  containers: Json[];
  inits: Json[];
  /** The containers' names, space-separated. */
  names: string;
}

/** The conditions of a scheduled pod in `state` (an unschedulable pod has only PodScheduled). */
export function podConditions(state: PodState, t: ConditionTimes): Json[] {
  const { created, started, ready, containers, inits, names } = t;
  const notReady = `containers with unready status: [${names}]`;
  const first = String(containers[0].name);
  switch (state) {
    case 'creating':
      return [
        condition('PodReadyToStartContainers', 'False', started),
        inits.length > 0
          ? condition(
              'Initialized',
              'False',
              started,
              'ContainersNotInitialized',
              `containers with incomplete status: [${inits.map((c) => c.name).join(' ')}]`,
            )
          : condition('Initialized', 'True', started),
        condition('Ready', 'False', started, 'ContainersNotReady', notReady),
        condition('ContainersReady', 'False', started, 'ContainersNotReady', notReady),
        condition('PodScheduled', 'True', created),
      ];
    case 'imagePull':
    case 'crashLoop': {
      const message = `containers with unready status: [${first}]`;
      return [
        condition('PodReadyToStartContainers', 'True', started),
        condition('Initialized', 'True', started),
        condition('Ready', 'False', ready, 'ContainersNotReady', message),
        condition('ContainersReady', 'False', ready, 'ContainersNotReady', message),
        condition('PodScheduled', 'True', created),
      ];
    }
    case 'running':
      return [
        condition('PodReadyToStartContainers', 'True', started),
        condition('Initialized', 'True', started),
        condition('Ready', 'True', ready),
        condition('ContainersReady', 'True', ready),
        condition('PodScheduled', 'True', created),
      ];
    default: {
      const reason = state === 'succeeded' ? 'PodCompleted' : 'PodFailed';
      const out = [
        condition('PodReadyToStartContainers', 'False', ready),
        condition('Initialized', 'True', started, state === 'succeeded' ? 'PodCompleted' : undefined),
        condition('Ready', 'False', ready, reason),
        condition('ContainersReady', 'False', ready, reason),
        condition('PodScheduled', 'True', created),
      ];
      if (state === 'evicted') {
        out.unshift(
          condition(
            'DisruptionTarget',
            'True',
            ready,
            'TerminationByKubelet',
            'The node was low on resource: memory. Threshold quantity: 100Mi, available: 91236Ki. ',
          ),
        );
      }
      return out;
    }
  }
}
