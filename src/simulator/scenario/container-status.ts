/**
 * Container statuses as the kubelet reports them for a pod in a given state, one per init
 * container and container. Container IDs are drawn from the PRNG in container order.
 */
import { deepFreeze, EMPTY_OBJECT, type Json } from './json.js';
import type { PodState } from './pod-status.js';
import { type RandomFn, randomHex } from './random.js';
import { imageIDOf, type Shared, type StatusMemo, statusMounts } from './status-memo.js';

/** What the statuses of one pod's containers depend on. */
export interface ContainerStatusContext {
  state: PodState;
  started: string;
  ready: string;
  /** The running state that the pod's running containers share. */
  running: Json;
  /** The pod has finished (Succeeded or Failed). */
  terminal: boolean;
  /** How many init containers the pod has: its containers wait for them while it is created. */
  inits: number;
  /** Restarts of the first container, with when the last one happened. */
  restartCount?: number;
  lastRestart?: string;
  /** `name_namespace(uid)`, for the CrashLoopBackOff message. */
  podRef?: string;
  random: RandomFn;
  memo?: StatusMemo;
  shared: Shared;
}

function containerStatus(
  c: Json,
  state: Json,
  o: {
    ready: boolean;
    started: boolean;
    restartCount?: number;
    lastState?: Json;
    id?: string;
    memo?: StatusMemo;
  },
): Json {
  const { name } = c;
  const image = c.image as string;
  const lastState = o.lastState ?? EMPTY_OBJECT;
  const { ready, started } = o;
  const restartCount = o.restartCount ?? 0;
  const volumeMounts = statusMounts(c, o.memo);
  const containerID = o.id;
  deepFreeze(state);
  deepFreeze(lastState);
  if (!containerID) {
    const imageID = '';
    return Object.freeze(
      volumeMounts
        ? { name, state, lastState, ready, restartCount, image, imageID, started, volumeMounts }
        : { name, state, lastState, ready, restartCount, image, imageID, started },
    );
  }
  const imageID = imageIDOf(image);
  return Object.freeze(
    volumeMounts
      ? { name, state, lastState, ready, restartCount, image, imageID, containerID, started, volumeMounts }
      : { name, state, lastState, ready, restartCount, image, imageID, containerID, started },
  );
}

function containerID(random: RandomFn): string {
  return randomHex(random, 64, 'containerd://');
}

/** An init container's status: waiting while the pod is created, then done (a native sidecar: running). */
export function initContainerStatus(c: Json, x: ContainerStatusContext): Json {
  const { state, started, running, random, memo, shared } = x;
  const sidecar = c.restartPolicy === 'Always';
  if (state === 'creating') {
    return containerStatus(
      c,
      shared('w|PodInitializing', () => ({ waiting: { reason: 'PodInitializing' } })),
      {
        ready: false,
        started: false,
        memo,
      },
    );
  }
  if (sidecar && !x.terminal) {
    return containerStatus(c, running, { ready: true, started: true, id: containerID(random), memo });
  }
  const id = containerID(random);
  const done = shared(`i|${started}|${sidecar}`, () => ({
    terminated: {
      exitCode: sidecar ? 137 : 0,
      reason: sidecar ? 'Error' : 'Completed',
      startedAt: started,
      finishedAt: started,
    },
  }));
  return containerStatus(
    c,
    { terminated: { ...(done.terminated as Json), containerID: id } },
    {
      ready: !sidecar,
      started: false,
      id,
      memo,
    },
  );
}

/** The status of the pod's container at `index`; only the first crash-loops, fails to pull or restarts. */
export function appContainerStatus(c: Json, index: number, x: ContainerStatusContext): Json {
  const { state, started, ready, running, random, memo, shared } = x;
  const restarts = index === 0 ? (x.restartCount ?? 0) : 0;
  const id = containerID(random);
  const lastState =
    restarts > 0
      ? {
          terminated: {
            exitCode: state === 'crashLoop' ? 1 : 137,
            reason: state === 'crashLoop' ? 'Error' : 'OOMKilled',
            startedAt: started,
            finishedAt: x.lastRestart ?? ready,
            containerID: containerID(random),
          },
        }
      : undefined;
  switch (state) {
    case 'creating':
      return containerStatus(
        c,
        shared(`w|${x.inits > 0 ? 'PodInitializing' : 'ContainerCreating'}`, () => ({
          waiting: { reason: x.inits > 0 ? 'PodInitializing' : 'ContainerCreating' },
        })),
        { ready: false, started: false, memo },
      );
    case 'imagePull':
      if (index === 0) {
        return containerStatus(
          c,
          { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` } },
          { ready: false, started: false, memo },
        );
      }
      return containerStatus(c, running, { ready: true, started: true, id, memo });
    case 'crashLoop':
      if (index === 0) {
        return containerStatus(
          c,
          {
            waiting: {
              reason: 'CrashLoopBackOff',
              message: `back-off 5m0s restarting failed container=${c.name} pod=${x.podRef ?? ''}`,
            },
          },
          { ready: false, started: false, restartCount: restarts, lastState, id, memo },
        );
      }
      return containerStatus(c, running, { ready: true, started: true, id, memo });
    case 'running': {
      const state = restarts > 0 && x.lastRestart ? { running: { startedAt: x.lastRestart } } : running;
      return containerStatus(c, state, {
        ready: true,
        started: true,
        restartCount: restarts,
        lastState,
        id,
        memo,
      });
    }
    default: {
      const failed = state !== 'succeeded' && index === 0;
      const terminated: Json =
        state === 'evicted'
          ? {
              exitCode: 137,
              reason: 'ContainerStatusUnknown',
              message: 'The container could not be located when the pod was terminated',
              startedAt: started,
              finishedAt: ready,
            }
          : {
              exitCode: failed ? 1 : 0,
              reason: failed ? 'Error' : 'Completed',
              startedAt: started,
              finishedAt: ready,
              containerID: id,
            };
      return containerStatus(
        c,
        { terminated },
        { ready: false, started: false, restartCount: restarts, lastState, id, memo },
      );
    }
  }
}
