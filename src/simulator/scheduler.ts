/**
 * The simulator's kube-scheduler, small: pods created with `schedulerName:
 * default-scheduler` and no node (through the API, or by the job controller) are bound to
 * a node where they fit, or stay Pending with PodScheduled False and a FailedScheduling
 * event worded as the real scheduler words it, and are tried again when a node or a pod
 * changes in a way that could make room.
 *
 * `NodeAccounting` is what every placer shares (this scheduler, the churn's own
 * `schedule`, the job controller): per node, allocatable and the summed requests of the
 * non-terminated pods bound there, kept current from store events (never a scan of all
 * pods per decision: the scenario has up to 100,000). Filters, in the default profile's
 * order: NodeUnschedulable, TaintToleration (NoSchedule and NoExecute), NodeAffinity
 * (nodeSelector and required node affinity's matchExpressions on labels), then
 * NodeResourcesFit (cpu, memory, pod count). Score: least allocated after placing, ties
 * to the node name, so the same cluster gives the same placements.
 *
 * As the other controllers: listeners only queue; binding happens on the injectable
 * clock (delay 0), through the store, so watches see every change.
 */
import type { EventRecorder } from './event-recorder.js';
import type { TimeoutClock } from './job-controller.js';
import { type PodRequest, podRequest, quantityValue } from './resources.js';
import { objectKey, type SimStore, StoreError } from './store.js';
import type { KubeObject, StoredEvent } from './types.js';

type Json = Record<string, unknown>;

export const DEFAULT_SCHEDULER = 'default-scheduler';

/** How soon pods waiting for room are tried again after a pod let go of some. */
const RETRY_MS = 1000;

const SYSTEM_CLOCK: TimeoutClock = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface NodeInfo {
  node: KubeObject;
  allocatable: { milliCpu: number; memory: number; pods: number };
  requested: { milliCpu: number; memory: number; pods: number };
  /**
   * What the filters read of the node, taken once per version of it rather than once per
   * pod placed: `place` runs every filter on every node for every pod.
   */
  ready: boolean;
  unschedulable: boolean;
  /** Its NoSchedule and NoExecute taints (the only effects that keep a pod off). */
  taints: Json[];
  labels: Record<string, string>;
}

/** What the filters read of a pod's spec, taken once per placement rather than once per node. */
interface PodTerms {
  tolerations: Json[];
  selector: [string, string][] | undefined;
  /** Required node affinity's nodeSelectorTerms, when the pod has any. */
  terms: Json[] | undefined;
}

function podTerms(spec: Json): PodTerms {
  const selector = spec.nodeSelector as Record<string, string> | undefined;
  const required = (((spec.affinity as Json | undefined)?.nodeAffinity as Json | undefined)
    ?.requiredDuringSchedulingIgnoredDuringExecution ?? undefined) as Json | undefined;
  return {
    tolerations: (spec.tolerations ?? []) as Json[],
    selector: selector ? Object.entries(selector) : undefined,
    terms: required ? ((required.nodeSelectorTerms ?? []) as Json[]) : undefined,
  };
}

/** The filters' verdicts: the node takes the pod, or not and preemption cannot help, or not and it could. */
const FITS = 0;
const UNRESOLVABLE = 1;
const RESOLVABLE = 2;
type Verdict = typeof FITS | typeof UNRESOLVABLE | typeof RESOLVABLE;

/** Whether a pod holds its node's resources: bound and not finished (a terminating pod still does). */
function holdsResources(pod: KubeObject): boolean {
  const phase = pod.status?.phase;
  return Boolean(pod.spec?.nodeName) && phase !== 'Succeeded' && phase !== 'Failed';
}

function readyOf(node: KubeObject): boolean {
  const ready = ((node.status?.conditions ?? []) as Json[]).find((c) => c.type === 'Ready');
  return ready?.status === 'True';
}

/** v1helper.TolerationsTolerateTaint. */
function tolerates(tolerations: Json[], taint: Json): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.key === undefined || t.key === '') {
      if (t.operator !== 'Exists') return false;
    } else if (t.key !== taint.key) return false;
    if (t.operator === 'Exists') return true;
    return (t.value ?? '') === (taint.value ?? '');
  });
}

/** A node selector term's matchExpressions against the node's labels (nodeaffinity's rules). */
function termMatches(term: Json, labels: Record<string, string>, nodeName: string): boolean {
  const expressions = (term.matchExpressions ?? []) as Json[];
  const fields = ((term.matchFields ?? []) as Json[]).map((f): Json => ({ ...f, field: true }));
  if (expressions.length === 0 && fields.length === 0) return false;
  for (const e of [...expressions, ...fields]) {
    // matchFields knows one field: metadata.name (a DaemonSet pod's affinity to its node).
    const value = 'field' in e ? (e.key === 'metadata.name' ? nodeName : undefined) : labels[String(e.key)];
    const values = ((e.values ?? []) as unknown[]).map(String);
    switch (e.operator) {
      case 'In':
        if (value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (value === undefined) return false;
        break;
      case 'DoesNotExist':
        if (value !== undefined) return false;
        break;
      case 'Gt':
      case 'Lt': {
        if (value === undefined) return false;
        const n = Number.parseInt(value, 10);
        const bound = Number.parseInt(values[0] ?? '', 10);
        if (Number.isNaN(n) || Number.isNaN(bound)) return false;
        if (e.operator === 'Gt' ? !(n > bound) : !(n < bound)) return false;
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

function affinityMatches(pod: PodTerms, labels: Record<string, string>, nodeName: string): boolean {
  if (pod.selector) for (const [k, v] of pod.selector) if (labels[k] !== v) return false;
  if (!pod.terms) return true;
  return pod.terms.some((term) => termMatches(term, labels, nodeName));
}

/** Where a pod can go, or why it can go nowhere. */
export type Placement = { node: string } | { message: string };

export class NodeAccounting {
  private readonly nodes = new Map<string, NodeInfo>();
  /** What each bound pod holds (by `namespace/name`): its node and request. */
  private readonly held = new Map<string, { node: string; request: PodRequest }>();
  private readonly listeners: (() => void)[] = [];

  constructor(store: SimStore) {
    for (const node of store.scan('nodes')) this.setNode(node);
    for (const pod of store.scan('pods'))
      this.setPod(objectKey(pod.metadata.namespace, pod.metadata.name), pod);
    this.listeners.push(
      store.subscribe('nodes', (e) => {
        if (e.type === 'DELETED') this.nodes.delete(e.object.metadata.name);
        else this.setNode(e.object);
      }),
      store.subscribe('pods', (e) => {
        const key = objectKey(e.object.metadata.namespace, e.object.metadata.name);
        this.setPod(key, e.type === 'DELETED' ? undefined : e.object);
      }),
    );
  }

  close(): void {
    for (const unsubscribe of this.listeners) unsubscribe();
    this.listeners.length = 0;
  }

  /** Per node: allocatable and what the bound pods request (millicores, bytes, pods). */
  usage(): Map<string, Pick<NodeInfo, 'allocatable' | 'requested'>> {
    const out = new Map<string, Pick<NodeInfo, 'allocatable' | 'requested'>>();
    for (const [name, info] of this.nodes) {
      out.set(name, { allocatable: { ...info.allocatable }, requested: { ...info.requested } });
    }
    return out;
  }

  private setNode(node: KubeObject): void {
    const name = node.metadata.name;
    const allocatable = (node.status?.allocatable ?? node.status?.capacity ?? {}) as Json;
    const info = this.nodes.get(name);
    const next: NodeInfo = {
      node,
      allocatable: {
        milliCpu: Math.round(quantityValue(allocatable.cpu) * 1000),
        memory: Math.round(quantityValue(allocatable.memory)),
        pods: Math.round(quantityValue(allocatable.pods)),
      },
      requested: info?.requested ?? { milliCpu: 0, memory: 0, pods: 0 },
      ready: readyOf(node),
      unschedulable: Boolean(node.spec?.unschedulable),
      taints: ((node.spec?.taints ?? []) as Json[]).filter(
        (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute',
      ),
      labels: (node.metadata.labels ?? {}) as Record<string, string>,
    };
    this.nodes.set(name, next);
  }

  /** A node a pod is bound to before the node itself is known: it takes nothing until it appears. */
  private static unknownNode(name: string): NodeInfo {
    return {
      node: { apiVersion: 'v1', kind: 'Node', metadata: { name } },
      allocatable: { milliCpu: 0, memory: 0, pods: 0 },
      requested: { milliCpu: 0, memory: 0, pods: 0 },
      ready: false,
      unschedulable: false,
      taints: [],
      labels: {},
    };
  }

  private setPod(key: string, pod: KubeObject | undefined): void {
    const before = this.held.get(key);
    if (before) {
      const info = this.nodes.get(before.node);
      if (info) {
        info.requested.milliCpu -= before.request.milliCpu;
        info.requested.memory -= before.request.memory;
        info.requested.pods -= 1;
      }
      this.held.delete(key);
    }
    if (!pod || !holdsResources(pod)) return;
    const node = String(pod.spec!.nodeName);
    const request = podRequest(pod.spec as Json);
    this.held.set(key, { node, request });
    let info = this.nodes.get(node);
    if (!info) {
      // A pod bound to a node not (yet) known: counted once the node appears.
      info = NodeAccounting.unknownNode(node);
      this.nodes.set(node, info);
    }
    info.requested.milliCpu += request.milliCpu;
    info.requested.memory += request.memory;
    info.requested.pods += 1;
  }

  /**
   * The filter plugins for one node, in the default profile's order. `reasons`, when given,
   * gets why the node does not take the pod, as the plugins word it (the first filter that
   * fails, or every resource that does not fit); without it nothing is allocated, which is
   * how `place` asks of every node for every pod.
   */
  private filter(pod: PodTerms, info: NodeInfo, request: PodRequest, reasons?: string[]): Verdict {
    const node = info.node;
    if (!node.status) {
      reasons?.push('node(s) not found');
      return UNRESOLVABLE;
    }
    if (info.unschedulable) {
      const tolerated = pod.tolerations.some((t) =>
        tolerates([t], { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }),
      );
      if (!tolerated) {
        reasons?.push('node(s) were unschedulable');
        return UNRESOLVABLE;
      }
    }
    for (const taint of info.taints) {
      if (!tolerates(pod.tolerations, taint)) {
        reasons?.push(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
        return UNRESOLVABLE;
      }
    }
    // A node that is not Ready carries the not-ready/unreachable NoSchedule taint; one
    // whose taint is not there yet is still not a place for a new pod.
    if (!info.ready) {
      reasons?.push('node(s) had untolerated taint {node.kubernetes.io/not-ready: }');
      return UNRESOLVABLE;
    }
    if (!affinityMatches(pod, info.labels, node.metadata.name)) {
      reasons?.push("node(s) didn't match Pod's node affinity/selector");
      return UNRESOLVABLE;
    }
    const { allocatable, requested } = info;
    let verdict: Verdict = FITS;
    if (requested.pods + 1 > allocatable.pods) {
      if (!reasons) return RESOLVABLE;
      reasons.push('Too many pods');
      verdict = RESOLVABLE;
    }
    if (request.milliCpu > 0 && requested.milliCpu + request.milliCpu > allocatable.milliCpu) {
      if (!reasons) return RESOLVABLE;
      reasons.push('Insufficient cpu');
      verdict = RESOLVABLE;
    }
    if (request.memory > 0 && requested.memory + request.memory > allocatable.memory) {
      if (!reasons) return RESOLVABLE;
      reasons.push('Insufficient memory');
      verdict = RESOLVABLE;
    }
    return verdict;
  }

  /** Whether a pod with `spec` fits on `nodeName` now (for placers that pick their own node). */
  fits(spec: Json, nodeName: string): boolean {
    const info = this.nodes.get(nodeName);
    return info !== undefined && this.filter(podTerms(spec), info, podRequest(spec)) === FITS;
  }

  /**
   * Where the scheduler would put a pod with `spec`: the feasible node with the most
   * room left (least allocated cpu and memory, averaged), ties to the lower name; or the
   * FailedScheduling message when no node is feasible. The filters run once per node
   * without their reasons, and again with them only when no node fits (the message).
   */
  place(spec: Json): Placement {
    const request = podRequest(spec);
    const pod = podTerms(spec);
    let bestName: string | undefined;
    let bestScore = 0;
    for (const [name, info] of this.nodes) {
      if (!info.node.status || this.filter(pod, info, request) !== FITS) continue;
      const { allocatable, requested } = info;
      const score =
        (free(requested.milliCpu + request.milliCpu, allocatable.milliCpu) +
          free(requested.memory + request.memory, allocatable.memory)) /
        2;
      if (bestName === undefined || score > bestScore || (score === bestScore && name < bestName)) {
        bestName = name;
        bestScore = score;
      }
    }
    if (bestName !== undefined) return { node: bestName };
    return { message: this.unschedulable(pod, request) };
  }

  /** The FailedScheduling message for a pod no node takes: every node's reasons, counted. */
  private unschedulable(pod: PodTerms, request: PodRequest): string {
    const reasons = new Map<string, number>();
    const preemption = new Map<string, number>();
    const count = (map: Map<string, number>, reason: string) => map.set(reason, (map.get(reason) ?? 0) + 1);
    let total = 0;
    for (const info of this.nodes.values()) {
      if (!info.node.status) continue;
      total += 1;
      const found: string[] = [];
      const verdict = this.filter(pod, info, request, found);
      if (verdict === FITS) continue;
      for (const r of found) count(reasons, r);
      count(
        preemption,
        verdict === RESOLVABLE
          ? 'No preemption victims found for incoming pod'
          : 'Preemption is not helpful for scheduling',
      );
    }
    return unschedulableMessage(total, reasons, preemption);
  }
}

/** The share of `cap` left once `used` is taken (0 when there is none). */
function free(used: number, cap: number): number {
  return cap > 0 ? Math.max(0, cap - used) / cap : 0;
}

/**
 * The scheduler's FitError message: `0/N nodes are available: ` and the reasons with
 * their node counts, sorted as strings; then the preemption's own summary.
 */
export function unschedulableMessage(
  total: number,
  reasons: Map<string, number>,
  preemption: Map<string, number>,
): string {
  const list = (map: Map<string, number>) =>
    [...map]
      .map(([reason, n]) => `${n} ${reason}`)
      .sort()
      .join(', ');
  if (total === 0) return 'no nodes available to schedule pods';
  return `0/${total} nodes are available: ${list(reasons)}. preemption: 0/${total} nodes are available: ${list(preemption)}.`;
}

export interface SchedulerOptions {
  clock?: TimeoutClock;
  now?: () => Date;
  recorder?: EventRecorder;
  /** Shared with the churn and the job controller; built (and closed) here when absent. */
  accounting?: NodeAccounting;
}

/** The fields of a node whose change can make room for a pending pod. */
function nodeShape(node: KubeObject): string {
  return JSON.stringify([
    node.spec?.unschedulable,
    node.spec?.taints,
    node.metadata.labels,
    node.status?.allocatable,
    readyOf(node),
  ]);
}

function wantsScheduling(pod: KubeObject): boolean {
  return (
    !pod.spec?.nodeName &&
    pod.spec?.schedulerName === DEFAULT_SCHEDULER &&
    !pod.metadata.deletionTimestamp &&
    (pod.status?.phase ?? 'Pending') === 'Pending'
  );
}

export class Scheduler {
  /** Pods bound, and scheduling attempts that found no node. */
  readonly stats = { scheduled: 0, failed: 0 };
  readonly accounting: NodeAccounting;
  private readonly ownsAccounting: boolean;
  private readonly clock: TimeoutClock;
  private readonly now: () => Date;
  private readonly recorder: EventRecorder | undefined;
  /** Pods to try now (uid -> key), in arrival order. */
  private readonly active = new Map<string, string>();
  /** Pods that found no node, tried again when something makes room. */
  private readonly unschedulable = new Map<string, string>();
  private timer: unknown;
  private retryTimer: unknown;
  private unsubscribe: (() => void)[] = [];

  constructor(
    private readonly store: SimStore,
    opts: SchedulerOptions = {},
  ) {
    this.clock = opts.clock ?? SYSTEM_CLOCK;
    this.now = opts.now ?? (() => new Date());
    this.recorder = opts.recorder;
    this.ownsAccounting = !opts.accounting;
    this.accounting = opts.accounting ?? new NodeAccounting(store);
  }

  /** Pods waiting for room. */
  get pending(): number {
    return this.unschedulable.size + this.active.size;
  }

  /**
   * Watches pods and nodes. Only pods created (or left unbound) from now on are its work:
   * the scenario's Pending pods are the churn's, so a still cluster stays still.
   */
  start(): void {
    if (this.unsubscribe.length > 0) return;
    this.unsubscribe.push(
      this.store.subscribe('pods', (e) => this.onPod(e)),
      this.store.subscribe('nodes', (e) => {
        if (
          e.type === 'ADDED' ||
          (e.type === 'MODIFIED' && e.previous && nodeShape(e.previous) !== nodeShape(e.object))
        )
          this.retryAll();
      }),
    );
  }

  stop(): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.unsubscribe = [];
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.active.clear();
    this.unschedulable.clear();
    if (this.ownsAccounting) this.accounting.close();
  }

  /** Asks for `pod` to be scheduled (the job controller's pods adopted at its start). */
  enqueue(pod: KubeObject): void {
    if (!wantsScheduling(pod)) return;
    const uid = pod.metadata.uid ?? '';
    if (this.unschedulable.has(uid)) return;
    this.active.set(uid, objectKey(pod.metadata.namespace, pod.metadata.name));
    this.wake();
  }

  private onPod(e: StoredEvent): void {
    const pod = e.object;
    const uid = pod.metadata.uid ?? '';
    if (e.type === 'DELETED' || !wantsScheduling(pod)) {
      this.active.delete(uid);
      this.unschedulable.delete(uid);
      // A pod that let go of its node's resources may make room for one waiting.
      const before = e.type === 'DELETED' ? pod : e.previous;
      if (before && holdsResources(before) && (e.type === 'DELETED' || !holdsResources(pod)))
        this.retrySoon();
      return;
    }
    if (e.type === 'ADDED') this.enqueue(pod);
  }

  /**
   * Pods come and go all the time under churn: waiting pods are retried at most once a
   * second for those (the real scheduler's initial backoff), at once for a node's change.
   */
  private retrySoon(): void {
    if (this.unschedulable.size === 0 || this.retryTimer !== undefined) return;
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.retryAll();
    }, RETRY_MS);
  }

  private retryAll(): void {
    if (this.unschedulable.size === 0) return;
    for (const [uid, key] of this.unschedulable) this.active.set(uid, key);
    this.unschedulable.clear();
    this.wake();
  }

  private wake(): void {
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, 0);
  }

  private drain(): void {
    const batch = [...this.active];
    this.active.clear();
    for (const [uid, key] of batch) {
      const slash = key.indexOf('/');
      const pod = this.store.get('pods', key.slice(0, slash), key.slice(slash + 1));
      if (!pod || pod.metadata.uid !== uid || !wantsScheduling(pod)) continue;
      try {
        this.scheduleOne(pod);
      } catch (err) {
        // Changed or deleted in between: its own event brings it back if it still needs a node.
        if (!(err instanceof StoreError)) throw err;
      }
    }
  }

  private scheduleOne(pod: KubeObject): void {
    const now = this.now()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
    const placement = this.accounting.place(pod.spec as Json);
    const meta = pod.metadata;
    if ('node' in placement) {
      // The binding subresource: nodeName set, PodScheduled True.
      this.store.update('pods', {
        ...pod,
        spec: { ...pod.spec, nodeName: placement.node },
        status: { ...(pod.status ?? {}), phase: 'Pending', conditions: withScheduled(pod, now) },
      });
      this.stats.scheduled += 1;
      this.recorder?.record({
        involved: pod,
        reason: 'Scheduled',
        message: `Successfully assigned ${meta.namespace}/${meta.name} to ${placement.node}`,
        source: { component: DEFAULT_SCHEDULER },
      });
      return;
    }
    this.stats.failed += 1;
    this.unschedulable.set(meta.uid ?? '', objectKey(meta.namespace, meta.name));
    const current = ((pod.status?.conditions ?? []) as Json[]).find((c) => c.type === 'PodScheduled');
    if (current?.status !== 'False' || current.message !== placement.message) {
      {
        const others = ((pod.status?.conditions ?? []) as Json[]).filter((c) => c.type !== 'PodScheduled');
        const condition = {
          type: 'PodScheduled',
          status: 'False',
          lastProbeTime: null,
          lastTransitionTime: current?.status === 'False' ? current.lastTransitionTime : now,
          reason: 'Unschedulable',
          message: placement.message,
        };
        this.store.update('pods', {
          ...pod,
          status: { ...(pod.status ?? {}), phase: 'Pending', conditions: [...others, condition] },
        });
      }
    }
    this.recorder?.record({
      involved: pod,
      reason: 'FailedScheduling',
      message: placement.message,
      type: 'Warning',
      source: { component: DEFAULT_SCHEDULER },
    });
  }
}

function withScheduled(pod: KubeObject, now: string): Json[] {
  const others = ((pod.status?.conditions ?? []) as Json[]).filter((c) => c.type !== 'PodScheduled');
  return [...others, { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now }];
}
