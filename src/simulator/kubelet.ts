/**
 * The kubelets' part of graceful deletion: a pod given a `deletionTimestamp` with a grace
 * period above 0 (deletion.ts) has its containers stopped, and once they have stopped the
 * kubelet writes the pod's final status (containers terminated, not ready, phase Succeeded)
 * and deletes it with a grace period of 0 — gone at once, or, when it still has finalizers,
 * kept with `deletionGracePeriodSeconds: 0` until they are removed.
 *
 * How long containers take to stop is deterministic per pod: 0.5 to 3 s drawn from its uid
 * (`containerStopMs`), or the grace period when that is shorter (a kubelet kills what is
 * still running when the period ends). Timers come from an injectable clock, like the job
 * controller's, so tests move time instead of waiting. As there, store listeners only
 * schedule work; nothing is written from inside one.
 */
import { deleteObject } from './deletion.js';
import type { EventRecorder } from './event-recorder.js';
import type { TimeoutClock } from './job-controller.js';
import { type SimStore, StoreError } from './store.js';
import type { KubeObject, StoredEvent } from './types.js';

type Json = Record<string, unknown>;

export interface KubeletOptions {
  clock?: TimeoutClock;
  /** Timestamps written (finishedAt, conditions). Default the wall clock. */
  now?: () => Date;
  /** Where the Killing events go. */
  recorder?: EventRecorder;
}

const SYSTEM_CLOCK: TimeoutClock = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** How long this pod's containers take to stop after SIGTERM: 500 to 3000 ms, fixed by its uid. */
export function containerStopMs(pod: KubeObject): number {
  let hash = 0;
  for (const ch of pod.metadata.uid ?? pod.metadata.name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return 500 + (hash % 2501);
}

/** When (ms after its deletion started) the kubelet deletes a pod being deleted gracefully. */
export function terminationDelayMs(pod: KubeObject): number {
  return Math.min(containerStopMs(pod), (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000);
}

interface Pending {
  handle: unknown;
  gracePeriodSeconds: number;
}

export class Kubelet {
  /** Pods stopped and deleted. */
  readonly stats = { terminated: 0 };
  private readonly clock: TimeoutClock;
  private readonly now: () => Date;
  private readonly recorder: EventRecorder | undefined;
  private readonly pending = new Map<string, Pending>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: SimStore,
    opts: KubeletOptions = {},
  ) {
    this.clock = opts.clock ?? SYSTEM_CLOCK;
    this.now = opts.now ?? (() => new Date());
    this.recorder = opts.recorder;
  }

  /** Pods whose containers are being stopped now. */
  get terminating(): number {
    return this.pending.size;
  }

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.store.subscribe('pods', (event) => this.onPod(event));
    for (const pod of this.store.scan('pods')) this.consider(pod);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const p of this.pending.values()) this.clock.clearTimeout(p.handle);
    this.pending.clear();
  }

  private onPod(event: StoredEvent): void {
    const uid = event.object.metadata.uid ?? '';
    if (event.type === 'DELETED') {
      const p = this.pending.get(uid);
      if (p) this.clock.clearTimeout(p.handle);
      this.pending.delete(uid);
      return;
    }
    this.consider(event.object);
  }

  private consider(pod: KubeObject): void {
    const grace = pod.metadata.deletionGracePeriodSeconds ?? 0;
    if (!pod.metadata.deletionTimestamp || grace <= 0) return;
    const uid = pod.metadata.uid ?? '';
    const existing = this.pending.get(uid);
    // A second delete may shorten the period: the kubelet then kills sooner.
    if (existing && existing.gracePeriodSeconds <= grace) return;
    if (existing) this.clock.clearTimeout(existing.handle);
    else this.killing(pod);
    const handle = this.clock.setTimeout(() => {
      this.pending.delete(uid);
      this.terminate(pod.metadata.namespace!, pod.metadata.name, uid);
    }, terminationDelayMs(pod));
    this.pending.set(uid, { handle, gracePeriodSeconds: grace });
  }

  /** The kubelet's Killing event for each container it sends SIGTERM to. */
  private killing(pod: KubeObject): void {
    if (!this.recorder || !pod.spec?.nodeName) return;
    for (const c of (pod.status?.containerStatuses ?? []) as Json[]) {
      if (!(c.state as Json | undefined)?.running) continue;
      this.recorder.record({
        involved: pod,
        fieldPath: `spec.containers{${c.name}}`,
        reason: 'Killing',
        message: `Stopping container ${c.name}`,
        source: { component: 'kubelet', host: String(pod.spec.nodeName) },
      });
    }
  }

  /** The containers have stopped: the final status, then the delete with a period of 0. */
  private terminate(namespace: string, name: string, uid: string): void {
    const pod = this.store.get('pods', namespace, name);
    if (!pod || pod.metadata.uid !== uid || !pod.metadata.deletionTimestamp) return;
    try {
      const now = this.now()
        .toISOString()
        .replace(/\.\d+Z$/, 'Z');
      this.store.update('pods', { ...pod, status: stoppedStatus(pod, now) });
      deleteObject(this.store, 'pods', namespace, name, {
        gracePeriodSeconds: 0,
        preconditions: { uid },
        now: this.now(),
      });
      this.stats.terminated += 1;
    } catch (err) {
      // Someone else deleted or changed it in between: nothing left to do.
      if (!(err instanceof StoreError)) throw err;
    }
  }
}

/** What the kubelet reports once every container has exited after SIGTERM (exit code 0). */
function stoppedStatus(pod: KubeObject, now: string): Json {
  const status = (pod.status ?? {}) as Json;
  const stop = (c: Json): Json => {
    const state = (c.state ?? {}) as Json;
    if (state.terminated) return { ...c, ready: false, started: false };
    const running = state.running as Json | undefined;
    return {
      ...c,
      state: {
        terminated: {
          exitCode: 0,
          reason: 'Completed',
          ...(running?.startedAt ? { startedAt: running.startedAt } : {}),
          finishedAt: now,
          ...(c.containerID ? { containerID: c.containerID } : {}),
        },
      },
      ready: false,
      started: false,
    };
  };
  const conditions = ((status.conditions ?? []) as Json[]).map((c) =>
    c.type === 'Ready' || c.type === 'ContainersReady'
      ? { ...c, status: 'False', lastTransitionTime: now, reason: 'PodCompleted' }
      : c,
  );
  return {
    ...status,
    phase: status.phase === 'Failed' ? 'Failed' : 'Succeeded',
    conditions,
    ...(status.containerStatuses
      ? { containerStatuses: (status.containerStatuses as Json[]).map(stop) }
      : {}),
  };
}
