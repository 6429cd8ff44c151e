/**
 * The simulator's job controller: what kube-controller-manager's job controller, the
 * scheduler and the kubelets do for a Job, in coarse steps. A job that needs work (not
 * finished, not suspended) gets pods up to its parallelism; each pod goes Pending ->
 * Running -> Succeeded (or, now and then, Failed) one step at a time, and the job's
 * status follows (active, ready, succeeded, failed, startTime, completionTime, the
 * Complete or Failed conditions). Deleting a job deletes its pods, as the garbage
 * collector would. Everything goes through the store, so every change is a watch event.
 * Given the simulator's scheduler, new pods are created unbound and the scheduler places
 * them where they fit; given a recorder, the job controller's events (SuccessfulCreate,
 * SuccessfulDelete, Completed, BackoffLimitExceeded, DeadlineExceeded) and its pods'
 * kubelet events are written.
 *
 * Store listeners run synchronously inside the store's write, so the controller never
 * writes from a listener (other watchers would see its MODIFIED before the ADDED that
 * caused it): listeners only schedule work on the clock.
 */
import type { EventRecorder } from './event-recorder.js';
import { podQosClass } from './resources.js';
import {
  admitPodSpec,
  creatorEntry,
  isoTime,
  JOB_TRACKING_FINALIZER,
  jobCondition,
  jobFinishedConditions,
  jobPodLabels,
  nodeInternalIP,
  type PodState,
  podStatus,
  type RandomFn,
  randomInt,
  randomPodIP,
  randomSuffix,
  randomUid,
  schedulableNodes,
  statusEntry,
} from './scenario/index.js';
import type { Scheduler } from './scheduler.js';
import { type SimStore, StoreError } from './store.js';
import type { KubeObject, StoredEvent } from './types.js';

type Json = Record<string, unknown>;

export interface TimeoutClock {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface JobControllerOptions {
  /** Where timers come from; tests pass a fake clock. Default the global timers. */
  clock?: TimeoutClock;
  /** Time between two steps of a job. Default 1000 ms. */
  stepMs?: number;
  /** Names, uids, nodes, failures. Default Math.random. */
  random?: RandomFn;
  /** Chance that a pod fails instead of succeeding. Default 0.1 (one pod in ten). */
  failureRate?: number;
  /** Timestamps. Default the wall clock. */
  now?: () => Date;
  /**
   * The cluster's scheduler: new pods are created unbound and it places them where they
   * fit. Without one (the controller on its own), pods go to a random schedulable node.
   */
  scheduler?: Scheduler;
  /** Where SuccessfulCreate/SuccessfulDelete, Completed and the pods' kubelet events go. */
  recorder?: EventRecorder;
}

interface ActivePod {
  name: string;
  /** Steps the pod still runs before it terminates. */
  runSteps: number;
}

interface TrackedJob {
  namespace: string;
  name: string;
  uid: string;
  timer?: unknown;
  pods: Map<string, ActivePod>;
  /** Armed while the job runs with `activeDeadlineSeconds`. */
  deadlineTimer?: unknown;
  deadlineExceeded?: boolean;
}

const SYSTEM_CLOCK: TimeoutClock = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export function jobFinished(job: KubeObject): 'Complete' | 'Failed' | undefined {
  for (const c of (job.status?.conditions ?? []) as Json[]) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  }
  return undefined;
}

function needsWork(job: KubeObject): boolean {
  return !jobFinished(job) && !job.spec?.suspend;
}

export class JobController {
  private readonly clock: TimeoutClock;
  private readonly stepMs: number;
  private readonly random: RandomFn;
  private readonly failureRate: number;
  private readonly now: () => Date;
  private readonly scheduler: Scheduler | undefined;
  private readonly recorder: EventRecorder | undefined;
  private readonly tracked = new Map<string, TrackedJob>();
  private readonly cleanups = new Set<unknown>();
  /** ttlSecondsAfterFinished timers, by job uid. */
  private readonly expiries = new Map<string, unknown>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: SimStore,
    opts: JobControllerOptions = {},
  ) {
    this.clock = opts.clock ?? SYSTEM_CLOCK;
    this.stepMs = opts.stepMs ?? 1000;
    this.random = opts.random ?? Math.random;
    this.failureRate = opts.failureRate ?? 0.1;
    this.now = opts.now ?? (() => new Date());
    this.scheduler = opts.scheduler;
    this.recorder = opts.recorder;
  }

  /** Jobs being worked on, for tests and metrics. */
  get activeJobs(): number {
    return this.tracked.size;
  }

  /** Watches jobs and adopts the unfinished ones already in the store (with their pods). */
  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.store.subscribe('jobs', (event) => this.onJobEvent(event));
    const adopted = new Map<string, TrackedJob>();
    for (const job of this.store.scan('jobs')) {
      if (!needsWork(job)) continue;
      const t = this.track(job, this.stepMs);
      adopted.set(t.uid, t);
    }
    if (adopted.size === 0) return;
    for (const pod of this.store.scan('pods')) {
      const owner = pod.metadata.ownerReferences?.find((o) => o.kind === 'Job');
      const t = owner && adopted.get(owner.uid);
      const phase = pod.status?.phase;
      if (t && (phase === 'Pending' || phase === 'Running')) {
        t.pods.set(pod.metadata.name, { name: pod.metadata.name, runSteps: 1 + randomInt(this.random, 3) });
      }
    }
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const t of this.tracked.values()) {
      this.clock.clearTimeout(t.timer);
      this.clock.clearTimeout(t.deadlineTimer);
    }
    this.tracked.clear();
    for (const handle of this.cleanups) this.clock.clearTimeout(handle);
    this.cleanups.clear();
    for (const handle of this.expiries.values()) this.clock.clearTimeout(handle);
    this.expiries.clear();
  }

  private onJobEvent(event: StoredEvent): void {
    const job = event.object;
    const uid = job.metadata.uid!;
    const t = this.tracked.get(uid);
    if (event.type === 'DELETED') {
      if (t) this.untrack(t);
      this.clock.clearTimeout(this.expiries.get(uid));
      this.expiries.delete(uid);
      this.later(() => this.deletePodsOf(job));
      return;
    }
    // A job finished (by this controller, just now, or by a client's write) that asks for a TTL.
    if (event.type === 'MODIFIED' && jobFinished(job)) this.expireLater(job, t ? 0 : undefined);
    if (t) {
      // Suspended (or finished by someone else): the next step settles it right away.
      if (!needsWork(job)) this.schedule(t, 0);
      return;
    }
    if (needsWork(job)) this.track(job, 0);
  }

  private track(job: KubeObject, delay: number): TrackedJob {
    const t: TrackedJob = {
      namespace: job.metadata.namespace!,
      name: job.metadata.name,
      uid: job.metadata.uid!,
      pods: new Map(),
    };
    this.tracked.set(t.uid, t);
    this.schedule(t, delay);
    return t;
  }

  private untrack(t: TrackedJob): void {
    this.clock.clearTimeout(t.timer);
    this.clock.clearTimeout(t.deadlineTimer);
    this.tracked.delete(t.uid);
  }

  /**
   * The TTL-after-finished controller: a finished job with `ttlSecondsAfterFinished` is
   * deleted, its pods first (Foreground, as that controller deletes), that long after it
   * finished. Only jobs that finish while the controller runs: the scenario's finished
   * jobs are left to the churn's clean-up.
   */
  private expireLater(job: KubeObject, sinceFinishedMs?: number): void {
    const ttl = job.spec?.ttlSecondsAfterFinished;
    const uid = job.metadata.uid!;
    if (typeof ttl !== 'number' || this.expiries.has(uid)) return;
    const finished = ((job.status?.conditions ?? []) as Json[]).find(
      (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    );
    const at = Date.parse(String(finished?.lastTransitionTime ?? job.status?.completionTime ?? ''));
    const elapsed = sinceFinishedMs ?? (Number.isNaN(at) ? 0 : Math.max(0, this.now().getTime() - at));
    const handle = this.clock.setTimeout(
      () => {
        this.expiries.delete(uid);
        const current = this.store.get('jobs', job.metadata.namespace, job.metadata.name);
        if (!current || current.metadata.uid !== uid) return;
        this.deletePodsOf(current);
        try {
          this.store.delete('jobs', job.metadata.namespace, job.metadata.name);
        } catch (err) {
          if (!(err instanceof StoreError)) throw err;
        }
      },
      Math.max(0, ttl * 1000 - elapsed),
    );
    this.expiries.set(uid, handle);
  }

  /** activeDeadlineSeconds: armed when the job starts (or is resumed), on the clock. */
  private armDeadline(t: TrackedJob, spec: Json, startTime: unknown): void {
    const seconds = spec.activeDeadlineSeconds;
    if (typeof seconds !== 'number' || t.deadlineTimer !== undefined || t.deadlineExceeded) return;
    const started = typeof startTime === 'string' ? Date.parse(startTime) : Number.NaN;
    const elapsed = Number.isNaN(started) ? 0 : Math.max(0, this.now().getTime() - started);
    t.deadlineTimer = this.clock.setTimeout(
      () => {
        t.deadlineTimer = undefined;
        t.deadlineExceeded = true;
        if (this.tracked.get(t.uid) === t) this.schedule(t, 0);
      },
      Math.max(0, seconds * 1000 - elapsed),
    );
  }

  private schedule(t: TrackedJob, delay: number): void {
    this.clock.clearTimeout(t.timer);
    t.timer = this.clock.setTimeout(() => {
      t.timer = undefined;
      this.step(t);
    }, delay);
  }

  private later(work: () => void): void {
    const handle = this.clock.setTimeout(() => {
      this.cleanups.delete(handle);
      work();
    }, 0);
    this.cleanups.add(handle);
  }

  private step(t: TrackedJob): void {
    try {
      if (this.reconcile(t)) this.schedule(t, this.stepMs);
      else this.untrack(t);
    } catch (err) {
      // A pod or the job changed under us (deleted, namespace gone, a conflicting
      // write): try again next step, as a real controller requeues.
      if (!(err instanceof StoreError)) throw err;
      if (this.tracked.has(t.uid)) this.schedule(t, this.stepMs);
    }
  }

  /** One step of one job. Returns whether the job needs more steps. */
  private reconcile(t: TrackedJob): boolean {
    const current = this.store.get('jobs', t.namespace, t.name);
    if (!current || current.metadata.uid !== t.uid) return false;
    const job = this.withDefaults(current);
    const spec = job.spec as Json;
    const now = isoTime(this.now().getTime());
    const status: Json = { ...(job.status ?? {}) };
    let conditions = [...((status.conditions ?? []) as Json[])];

    if (spec.suspend) {
      for (const name of t.pods.keys()) this.deletePod(t.namespace, name);
      t.pods.clear();
      // A suspended job's active time starts again when it resumes.
      this.clock.clearTimeout(t.deadlineTimer);
      t.deadlineTimer = undefined;
      if (!conditions.some((c) => c.type === 'Suspended' && c.status === 'True')) {
        conditions = [
          ...conditions.filter((c) => c.type !== 'Suspended'),
          jobCondition('Suspended', 'True', now, 'JobSuspended', 'Job suspended'),
        ];
      }
      this.writeJob(job, { ...status, conditions, startTime: undefined, active: 0, ready: 0 });
      return false;
    }
    if (jobFinished(job)) return false;
    if (conditions.some((c) => c.type === 'Suspended' && c.status === 'True')) {
      conditions = conditions.map((c) =>
        c.type === 'Suspended' ? jobCondition('Suspended', 'False', now, 'JobResumed', 'Job resumed') : c,
      );
    }

    let succeeded = Number(status.succeeded ?? 0);
    let failed = Number(status.failed ?? 0);
    for (const pod of [...t.pods.values()]) {
      const outcome = this.advancePod(t, pod, now);
      if (outcome === 'succeeded') succeeded += 1;
      if (outcome === 'failed') failed += 1;
      if (outcome) t.pods.delete(pod.name);
    }

    const completions = Number(spec.completions ?? 1);
    const parallelism = Number(spec.parallelism ?? 1);
    const backoffLimit = Number(spec.backoffLimit ?? 6);
    let finished: 'Complete' | 'Failed' | undefined;
    let pastDeadline = false;
    if (succeeded >= completions) finished = 'Complete';
    else if (failed > backoffLimit) finished = 'Failed';
    else if (t.deadlineExceeded) {
      finished = 'Failed';
      pastDeadline = true;
      // Its active pods are terminated and counted failed, as the real controller counts them.
      failed += t.pods.size;
    }
    if (finished) {
      this.finishedEvent(job, finished, pastDeadline);
      for (const name of t.pods.keys()) this.deletePod(t.namespace, name);
      t.pods.clear();
      conditions = [
        ...conditions,
        ...(pastDeadline ? deadlineConditions(now) : jobFinishedConditions(finished, now)),
      ];
    } else {
      this.armDeadline(t, spec, status.startTime);
      const want = Math.min(parallelism, completions - succeeded) - t.pods.size;
      if (want > 0) {
        // With a scheduler the pods are created unbound and it places them: no node list
        // (a scan of every node, 7 % of a 10-cluster simulator's CPU under churn).
        const nodes = this.scheduler ? [] : schedulableNodes(this.store);
        for (let i = 0; i < want; i++) this.createPod(job, t, nodes, now);
      }
    }
    let ready = 0;
    for (const p of t.pods.values()) {
      if (this.store.get('pods', t.namespace, p.name)?.status?.phase === 'Running') ready += 1;
    }
    this.writeJob(job, {
      conditions: conditions.length > 0 ? conditions : undefined,
      startTime: status.startTime ?? now,
      completionTime: finished === 'Complete' ? now : undefined,
      active: t.pods.size || undefined,
      succeeded: succeeded || undefined,
      failed: failed || undefined,
      terminating: 0,
      uncountedTerminatedPods: {},
      ready,
    });
    return !finished;
  }

  /**
   * What the API server fills in on create for a job sent without a selector: the
   * controller-uid selector and template labels. Done here because the simulator's
   * REST layer stores jobs as sent.
   */
  private withDefaults(job: KubeObject): KubeObject {
    const spec = (job.spec ?? {}) as Json;
    const template = (spec.template ?? {}) as Json;
    const templateMeta = (template.metadata ?? {}) as Json;
    const labels = jobPodLabels(job.metadata.name, job.metadata.uid!);
    const current = (templateMeta.labels ?? {}) as Record<string, string>;
    if (spec.selector && Object.keys(labels).every((k) => current[k] === labels[k])) return job;
    return {
      ...job,
      spec: {
        ...spec,
        selector: spec.selector ?? {
          matchLabels: { 'batch.kubernetes.io/controller-uid': job.metadata.uid },
        },
        manualSelector: spec.manualSelector ?? false,
        template: { ...template, metadata: { ...templateMeta, labels: { ...current, ...labels } } },
      },
    };
  }

  private writeJob(job: KubeObject, status: Json): void {
    for (const key of Object.keys(status)) if (status[key] === undefined) delete status[key];
    const before = this.store.get('jobs', job.metadata.namespace, job.metadata.name);
    if (before && JSON.stringify(before.status) === JSON.stringify(status) && before.spec === job.spec)
      return;
    this.store.update('jobs', { ...job, status });
  }

  /** Moves one pod one step; returns its outcome once it has terminated. */
  private advancePod(t: TrackedJob, active: ActivePod, now: string): 'succeeded' | 'failed' | undefined {
    const pod = this.store.get('pods', t.namespace, active.name);
    // A pod deleted before it finished counts as failed (podReplacementPolicy TerminatingOrFailed).
    if (!pod || pod.metadata.deletionTimestamp) return 'failed';
    const phase = pod.status?.phase;
    if (phase === 'Succeeded') return 'succeeded';
    if (phase === 'Failed') return 'failed';
    const spec = pod.spec as Json;
    const created = pod.metadata.creationTimestamp ?? now;
    if (phase === 'Pending') {
      if (!spec.nodeName && this.scheduler) {
        // The scheduler's to place; asked again in case it has not seen the pod yet.
        this.scheduler.enqueue(pod);
        return undefined;
      }
      if (!spec.nodeName) {
        const nodes = schedulableNodes(this.store);
        if (nodes.length === 0) return undefined;
        const node = nodes[randomInt(this.random, nodes.length)];
        const bound = { ...spec, nodeName: node.metadata.name };
        this.writePod(pod, bound, this.status('creating', bound, pod, now, nodeInternalIP(node)), now);
        return undefined;
      }
      const node = this.store.get('nodes', undefined, String(spec.nodeName));
      const hostIP = (pod.status?.hostIP as string | undefined) ?? (node && nodeInternalIP(node));
      const podIP = node ? randomPodIP(node, this.random) : hostIP;
      this.writePod(pod, spec, this.status('running', spec, pod, now, hostIP, podIP, now), now);
      this.kubeletEvents(pod, String(spec.nodeName));
      return undefined;
    }
    active.runSteps -= 1;
    if (active.runSteps > 0) return undefined;
    const outcome = this.random() < this.failureRate ? 'failed' : 'succeeded';
    const status = this.status(
      outcome,
      spec,
      pod,
      now,
      pod.status?.hostIP as string | undefined,
      pod.status?.podIP as string | undefined,
      (pod.status?.startTime as string | undefined) ?? created,
    );
    const finalizers = (pod.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
    this.writePod(pod, spec, status, now, finalizers);
    return outcome;
  }

  private status(
    state: PodState,
    spec: Json,
    pod: KubeObject,
    now: string,
    hostIP?: string,
    podIP?: string,
    started?: string,
  ): Json {
    return podStatus({
      state,
      spec,
      created: pod.metadata.creationTimestamp ?? now,
      started: started ?? now,
      ready: now,
      hostIP,
      podIP,
      random: this.random,
    });
  }

  private writePod(pod: KubeObject, spec: Json, status: Json, now: string, finalizers?: string[]): void {
    const { finalizers: previous, ...meta } = pod.metadata;
    const kept = finalizers ?? previous;
    const managedFields = [
      ...((meta.managedFields ?? []) as Json[]).filter((m) => m.subresource !== 'status'),
      statusEntry(status, now),
    ];
    const metadata =
      kept && kept.length > 0 ? { ...meta, finalizers: kept, managedFields } : { ...meta, managedFields };
    this.store.update('pods', { ...pod, metadata, spec, status });
  }

  private createPod(job: KubeObject, t: TrackedJob, nodes: KubeObject[], now: string): void {
    const template = (job.spec?.template ?? {}) as Json;
    const templateMeta = (template.metadata ?? {}) as Json;
    let name: string;
    do name = `${t.name}-${randomSuffix(this.random)}`;
    while (this.store.get('pods', t.namespace, name));
    const admitted = admitPodSpec(template.spec as Json | undefined, this.random);
    let spec: Json;
    let status: Json;
    if (this.scheduler) {
      // As the API server stores it; the scheduler binds it.
      spec = admitted;
      status = { phase: 'Pending', qosClass: podQosClass(spec) };
    } else {
      const node = nodes.length > 0 ? nodes[randomInt(this.random, nodes.length)] : undefined;
      spec = node ? { ...admitted, nodeName: node.metadata.name } : admitted;
      status = podStatus({
        state: node ? 'creating' : 'unschedulable',
        spec,
        created: now,
        hostIP: node && nodeInternalIP(node),
        nodeCount: this.store.count('nodes'),
        random: this.random,
      });
    }
    const metadata: Json = {
      name,
      generateName: `${t.name}-`,
      namespace: t.namespace,
      uid: randomUid(this.random),
      creationTimestamp: now,
      labels: { ...((templateMeta.labels ?? {}) as Json), ...jobPodLabels(t.name, t.uid) },
    };
    if (templateMeta.annotations) metadata.annotations = templateMeta.annotations;
    metadata.ownerReferences = [
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        name: t.name,
        uid: t.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
    metadata.finalizers = [JOB_TRACKING_FINALIZER];
    metadata.managedFields = [
      creatorEntry('kube-controller-manager', metadata, spec, now),
      statusEntry(status, now),
    ];
    this.store.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: metadata as unknown as KubeObject['metadata'],
      spec,
      status,
    });
    t.pods.set(name, { name, runSteps: 1 + randomInt(this.random, 3) });
    this.recorder?.record({
      involved: job,
      reason: 'SuccessfulCreate',
      message: `Created pod: ${name}`,
      source: { component: 'job-controller' },
    });
  }

  private deletePod(namespace: string, name: string): void {
    const pod = this.store.get('pods', namespace, name);
    if (!pod) return;
    this.store.delete('pods', namespace, name);
    const owner = pod.metadata.ownerReferences?.find((o) => o.kind === 'Job');
    const job = owner && this.store.get('jobs', namespace, owner.name);
    if (job) {
      this.recorder?.record({
        involved: job,
        reason: 'SuccessfulDelete',
        message: `Deleted pod: ${name}`,
        source: { component: 'job-controller' },
      });
    }
  }

  /** The job controller's event when a job finishes, as v1.31 words it. */
  private finishedEvent(job: KubeObject, finished: 'Complete' | 'Failed', pastDeadline: boolean): void {
    const [reason, message] =
      finished === 'Complete'
        ? ['Completed', 'Job completed']
        : pastDeadline
          ? ['DeadlineExceeded', 'Job was active longer than specified deadline']
          : ['BackoffLimitExceeded', 'Job has reached the specified backoff limit'];
    this.recorder?.record({
      involved: job,
      reason,
      message,
      type: finished === 'Complete' ? 'Normal' : 'Warning',
      source: { component: 'job-controller' },
    });
  }

  /** The kubelet's events for a job's pod whose containers it started. */
  private kubeletEvents(pod: KubeObject, host: string): void {
    if (!this.recorder) return;
    for (const c of (pod.spec?.containers ?? []) as Json[]) {
      const fieldPath = `spec.containers{${c.name}}`;
      const source = { component: 'kubelet', host };
      this.recorder.record({
        involved: pod,
        fieldPath,
        reason: 'Pulling',
        message: `Pulling image "${c.image}"`,
        source,
      });
      this.recorder.record({
        involved: pod,
        fieldPath,
        reason: 'Pulled',
        message: `Successfully pulled image "${c.image}" in 1.2s (1.2s including waiting)`,
        source,
      });
      this.recorder.record({
        involved: pod,
        fieldPath,
        reason: 'Created',
        message: `Created container ${c.name}`,
        source,
      });
      this.recorder.record({
        involved: pod,
        fieldPath,
        reason: 'Started',
        message: `Started container ${c.name}`,
        source,
      });
    }
  }

  /** The garbage collector's part: a deleted job's pods go too. */
  private deletePodsOf(job: KubeObject): void {
    const uid = job.metadata.uid!;
    const namespace = job.metadata.namespace;
    for (const pod of this.store.ownedBy('pods', namespace, uid))
      this.deletePod(namespace!, pod.metadata.name);
  }
}

/** The conditions the job controller (v1.31) sets when a job runs past its activeDeadlineSeconds. */
function deadlineConditions(time: string): Json[] {
  const message = 'Job was active longer than specified deadline';
  return [
    jobCondition('FailureTarget', 'True', time, 'DeadlineExceeded', message),
    jobCondition('Failed', 'True', time, 'DeadlineExceeded', message),
  ];
}

/**
 * The job controller's hold on its pods: the `batch.kubernetes.io/job-tracking` finalizer,
 * removed once a pod is accounted for. For a pod being deleted (by a client, an eviction,
 * the garbage collector) that is when it has finished or is deleted without grace; then the
 * removal lets the deletion complete (store.ts). A class of its own, outside
 * JobController's start/stop, so a pause of the simulator's activity never leaves a deleted
 * pod Terminating for good.
 */
export class JobTrackingFinalizers {
  private readonly clock: TimeoutClock;
  private readonly scheduled = new Map<string, unknown>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: SimStore,
    opts: { clock?: TimeoutClock } = {},
  ) {
    this.clock = opts.clock ?? SYSTEM_CLOCK;
  }

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.store.subscribe('pods', (event) => {
      if (event.type !== 'DELETED') this.consider(event.object);
    });
    for (const pod of this.store.scan('pods')) this.consider(pod);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const handle of this.scheduled.values()) this.clock.clearTimeout(handle);
    this.scheduled.clear();
  }

  private consider(pod: KubeObject): void {
    if (!pod.metadata.deletionTimestamp || !pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)) return;
    const done = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (!done && pod.metadata.deletionGracePeriodSeconds) return;
    const uid = pod.metadata.uid ?? '';
    if (this.scheduled.has(uid)) return;
    const handle = this.clock.setTimeout(() => {
      this.scheduled.delete(uid);
      this.release(pod.metadata.namespace!, pod.metadata.name, uid);
    }, 0);
    this.scheduled.set(uid, handle);
  }

  private release(namespace: string, name: string, uid: string): void {
    const pod = this.store.get('pods', namespace, name);
    if (!pod || pod.metadata.uid !== uid || !pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER))
      return;
    try {
      this.store.mutate('pods', namespace, name, (draft) => {
        const finalizers = (draft.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
        if (finalizers.length) draft.metadata.finalizers = finalizers;
        else delete draft.metadata.finalizers;
        return draft;
      });
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
    }
  }
}
