/**
 * The kubelets' part of a pod's start and run: a pod bound to a node (by the scheduler, or
 * created with `nodeName`) is started the way a kubelet reports it. First the sandbox
 * (PodScheduled True, containers waiting in ContainerCreating, hostIP, startTime, a
 * Pulling event per container); then, after a pull of 0.5 to 2.5 s, the containers run
 * (podIP, Ready, Pulled/Created/Started events). What runs next follows the spec: a pod
 * whose restartPolicy is Never or OnFailure runs its command to completion (exit 0,
 * phase Succeeded, reason Completed) 2 to 10 s after it started; a pod with restartPolicy
 * Always keeps running until it is deleted. Durations are fixed by the pod's uid, so a run
 * on the injectable clock is repeatable.
 *
 * Its pods: those created through the API (the API server's defaulting gives them a
 * schedulerName) that the churn (ReplicaSet, StatefulSet and DaemonSet pods) and the job
 * controller (Job pods) do not run themselves, from the moment they are bound. A pod
 * whose status someone else writes in between (a test, a client) is left to them.
 */
import type { EventRecorder } from './event-recorder.js';
import type { TimeoutClock } from './job-controller.js';
import {
  isoTime,
  mulberry32,
  nodeInternalIP,
  podStatus,
  type RandomFn,
  randomPodIP,
} from './scenario/index.js';
import { type SimStore, StoreError } from './store.js';
import type { KubeObject, StoredEvent } from './types.js';

type Json = Record<string, unknown>;

const SYSTEM_CLOCK: TimeoutClock = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Owners whose pods another part of the simulator runs. */
const RUN_ELSEWHERE = new Set(['ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job']);

function uidHash(pod: KubeObject): number {
  let hash = 7;
  for (const ch of pod.metadata.uid ?? pod.metadata.name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return hash;
}

/** How long this pod's images take to pull: 500 to 2500 ms, fixed by its uid. */
export function pullMs(pod: KubeObject): number {
  return 500 + (uidHash(pod) % 2001);
}

/** How long a finite pod (restartPolicy Never/OnFailure) runs: 2 to 10 s, fixed by its uid. */
export function runMs(pod: KubeObject): number {
  return 2000 + ((uidHash(pod) >>> 11) % 8001);
}

/** Whether the pod's containers exit by themselves (a run-to-completion pod). */
export function runsToCompletion(pod: KubeObject): boolean {
  const policy = pod.spec?.restartPolicy;
  return policy === 'Never' || policy === 'OnFailure';
}

/** Whether the runtime starts this pod (see the module's comment). */
export function runsHere(pod: KubeObject): boolean {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller);
  return (
    typeof pod.spec?.schedulerName === 'string' &&
    Boolean(pod.spec?.nodeName) &&
    !pod.metadata.deletionTimestamp &&
    (pod.status?.phase ?? 'Pending') === 'Pending' &&
    !(owner && RUN_ELSEWHERE.has(owner.kind))
  );
}

type Step = 'sandbox' | 'start' | 'finish';

interface Tracked {
  namespace: string;
  name: string;
  timer: unknown;
  /** The status this runtime wrote last (JSON): a different one means someone else writes it. */
  wrote: string;
  random: RandomFn;
  sandboxAt?: string;
}

export interface PodRuntimeOptions {
  clock?: TimeoutClock;
  now?: () => Date;
  recorder?: EventRecorder;
}

export class PodRuntime {
  readonly stats = { started: 0, completed: 0 };
  private readonly clock: TimeoutClock;
  private readonly now: () => Date;
  private readonly recorder: EventRecorder | undefined;
  private readonly tracked = new Map<string, Tracked>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: SimStore,
    opts: PodRuntimeOptions = {},
  ) {
    this.clock = opts.clock ?? SYSTEM_CLOCK;
    this.now = opts.now ?? (() => new Date());
    this.recorder = opts.recorder;
  }

  /** Pods being started or run to completion now. */
  get running(): number {
    return this.tracked.size;
  }

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.store.subscribe('pods', (e) => this.onPod(e));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const t of this.tracked.values()) this.clock.clearTimeout(t.timer);
    this.tracked.clear();
  }

  private onPod(e: StoredEvent): void {
    const pod = e.object;
    const uid = pod.metadata.uid ?? '';
    if (e.type === 'DELETED' || pod.metadata.deletionTimestamp) {
      const t = this.tracked.get(uid);
      if (t) this.clock.clearTimeout(t.timer);
      this.tracked.delete(uid);
      return;
    }
    if (this.tracked.has(uid) || !runsHere(pod)) return;
    // Just bound: created with a node, or the scheduler's binding.
    const bound = e.type === 'ADDED' || !e.previous?.spec?.nodeName;
    if (!bound) return;
    const t: Tracked = {
      namespace: pod.metadata.namespace!,
      name: pod.metadata.name,
      timer: undefined,
      wrote: JSON.stringify(pod.status ?? {}),
      random: mulberry32(uidHash(pod)),
    };
    this.tracked.set(uid, t);
    this.after(uid, t, 'sandbox', 0);
  }

  private after(uid: string, t: Tracked, step: Step, ms: number): void {
    t.timer = this.clock.setTimeout(() => {
      t.timer = undefined;
      try {
        this.step(uid, t, step);
      } catch (err) {
        // Deleted or changed in between: nothing left to do for it.
        if (!(err instanceof StoreError)) throw err;
        this.tracked.delete(uid);
      }
    }, ms);
  }

  private step(uid: string, t: Tracked, step: Step): void {
    const pod = this.store.get('pods', t.namespace, t.name);
    if (
      !pod ||
      pod.metadata.uid !== uid ||
      pod.metadata.deletionTimestamp ||
      JSON.stringify(pod.status ?? {}) !== t.wrote
    ) {
      this.tracked.delete(uid);
      return;
    }
    const spec = pod.spec as Json;
    const node = this.store.get('nodes', undefined, String(spec.nodeName));
    const host = String(spec.nodeName);
    const now = isoTime(this.now().getTime());
    const scheduled = ((pod.status?.conditions ?? []) as Json[]).find((c) => c.type === 'PodScheduled');
    const created = String(scheduled?.lastTransitionTime ?? pod.metadata.creationTimestamp ?? now);
    const hostIP = node ? nodeInternalIP(node) : undefined;
    const containers = [
      ...((spec.initContainers ?? []) as Json[]).map((c) => ({ c, path: `spec.initContainers{${c.name}}` })),
      ...((spec.containers ?? []) as Json[]).map((c) => ({ c, path: `spec.containers{${c.name}}` })),
    ];
    const event = (reason: string, message: string, fieldPath: string) =>
      this.recorder?.record({
        involved: pod,
        fieldPath,
        reason,
        message,
        source: { component: 'kubelet', host },
      });
    if (step === 'sandbox') {
      t.sandboxAt = now;
      this.write(
        t,
        pod,
        podStatus({ state: 'creating', spec, created, started: now, hostIP, random: t.random }),
      );
      for (const { c, path } of containers) event('Pulling', `Pulling image "${c.image}"`, path);
      this.after(uid, t, 'start', pullMs(pod));
      return;
    }
    const started = t.sandboxAt ?? now;
    const podIP = spec.hostNetwork || !node ? hostIP : randomPodIP(node, t.random);
    const podRef = `${pod.metadata.name}_${pod.metadata.namespace}(${uid})`;
    if (step === 'start') {
      const pull = ((Date.parse(now) - Date.parse(started)) / 1000).toFixed(3).replace(/\.?0+$/, '');
      for (const { c, path } of containers) {
        event(
          'Pulled',
          `Successfully pulled image "${c.image}" in ${pull}s (${pull}s including waiting)`,
          path,
        );
        event('Created', `Created container ${c.name}`, path);
        event('Started', `Started container ${c.name}`, path);
      }
      this.write(
        t,
        pod,
        podStatus({
          state: 'running',
          spec,
          created,
          started,
          ready: now,
          hostIP,
          podIP,
          podRef,
          random: t.random,
        }),
      );
      this.stats.started += 1;
      if (runsToCompletion(pod)) this.after(uid, t, 'finish', runMs(pod));
      else this.tracked.delete(uid);
      return;
    }
    const finished = podStatus({
      state: 'succeeded',
      spec,
      created,
      started,
      ready: now,
      hostIP,
      podIP: pod.status?.podIP as string | undefined,
      podRef,
      random: t.random,
    });
    this.write(t, pod, keepContainerIDs(finished, pod.status as Json));
    this.stats.completed += 1;
    this.tracked.delete(uid);
  }

  private write(t: Tracked, pod: KubeObject, status: Json): void {
    const written = this.store.update('pods', { ...pod, status });
    t.wrote = JSON.stringify(written.status ?? {});
  }
}

/** The containers that ran keep their IDs (and start times) when they terminate. */
function keepContainerIDs(next: Json, before: Json): Json {
  const previous = new Map(((before.containerStatuses ?? []) as Json[]).map((c) => [c.name, c]));
  const containerStatuses = ((next.containerStatuses ?? []) as Json[]).map((c) => {
    const was = previous.get(c.name);
    const startedAt = ((was?.state as Json | undefined)?.running as Json | undefined)?.startedAt;
    if (!was?.containerID) return c;
    const terminated: Json = {
      ...(((c.state as Json).terminated ?? {}) as Json),
      containerID: was.containerID,
    };
    if (startedAt) terminated.startedAt = startedAt;
    return { ...c, containerID: was.containerID, state: { terminated } };
  });
  return { ...next, containerStatuses };
}
