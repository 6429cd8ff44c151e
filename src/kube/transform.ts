/**
 * Trims objects before they are stored: memory per pod decides how many pods one process holds
 * (150k is the design target, ≤ 3 KB of heap per trimmed pod). Keeps what the gateway's
 * consumers read, drops the rest, and returns a NEW, deeply frozen plain object: stores hand
 * out stored instances as-is, so freezing is what makes that safe.
 *
 * Dropped everywhere: metadata.managedFields (often bigger than the rest of the object) and the
 * kubectl last-applied-configuration annotation (a JSON copy of the whole manifest).
 * Dropped from pods: volumes, volumeMounts, env/envFrom, command/args, probes, lifecycle,
 * securityContext, tolerations, affinity, dnsConfig, terminationMessage*, imagePullPolicy,
 * resources.claims, ephemeral containers' specs, container statuses' containerID (~80
 * characters unique to each container and read by nothing here: 135 B of heap per pod).
 * Dropped from nodes: status.images (kubelet reports up to 50 images with all their tags and
 * digests), volumesAttached/volumesInUse.
 * Dropped from jobs: the pod template (pods are mirrored themselves).
 *
 * Results are plain objects with the client-node model's shape, not class instances, and
 * fields that were absent (or null) are omitted rather than set to undefined, because every
 * own property costs a slot. Equal `Date`s are one shared frozen instance (see Interner);
 * Object.freeze cannot stop Date#setTime, so "read-only" is a contract consumers must honour,
 * not only something the runtime enforces. Input may be client-node model objects (a watch's)
 * or the plain JSON of a listed page (timestamps as RFC 3339 strings): the result is the same.
 */
import type {
  V1Container,
  V1ContainerState,
  V1ContainerStatus,
  V1Job,
  V1Namespace,
  V1Node,
  V1ObjectMeta,
  V1Pod,
  V1ResourceRequirements,
} from '@kubernetes/client-node';
import { V1PodStatus } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { adopt } from './adopt.js';
import { defaultInterner, type Interner } from './interner.js';
import { KIND_INFO, type KindName, type KubeObjectOf, kindOf } from './kinds.js';
import { exactObject, shape } from './shape.js';

export { deepFreeze, defaultInterner, Interner } from './interner.js';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

export interface TransformOptions {
  interner?: Interner;
}

/** Transform for one kind: what an informer applies to every listed or watched object. */
export type TransformFunc<K extends KindName> = (obj: KubeObjectOf<K>) => KubeObjectOf<K>;

/**
 * Returns a new, trimmed, deeply frozen copy of `obj`. Never mutates `obj`. With `previous`
 * (the version it replaces), the parts equal to previous's are previous's instances.
 */
export function transformObject<K extends KindName>(
  kind: K,
  obj: KubeObjectOf<K>,
  options: TransformOptions = {},
  previous?: KubeObjectOf<K>,
): KubeObjectOf<K> {
  const t = new Trimmer(options.interner ?? defaultInterner);
  const trimmed = kindOf(kind).trim(t, obj);
  return freezeTree(previous === undefined ? trimmed : adopt(trimmed, previous));
}

/** The transform for one kind, bound to options; convenient for informer construction. */
export function transformerFor<K extends KindName>(
  kind: K,
  options: TransformOptions = {},
): TransformFunc<K> {
  return (obj) => transformObject(kind, obj, options);
}

/**
 * deepFreeze for the trees the transform builds: acyclic and plain, so no visited set, and a
 * frozen subtree is one the Interner shared, deep-frozen already, so it is not walked again.
 */
function freezeTree<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const k in value) freezeTree(value[k]);
  }
  return value;
}

type Rec = Record<string, unknown>;

/** The pod status fields client-node's model has (what a model object can carry). */
const POD_STATUS_FIELDS: ReadonlySet<string> = new Set(V1PodStatus.getAttributeTypeMap().map((a) => a.name));

/** Sets o[k] = v unless v is undefined or null, so absent fields stay absent (no empty slots). */
export function put<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | null | undefined): void {
  if (v !== undefined && v !== null) o[k] = v as T[K];
}

/** Deep copy for small subtrees kept whole (job status, selectors); drops undefined and null. */
export function clone(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Date) return new Date(v.getTime());
  if (Array.isArray(v)) return v.map(clone);
  const keys = Object.keys(v);
  return exactObject(
    keys,
    keys.map((k) => clone((v as Rec)[k])),
  );
}

/**
 * A subtree kept whole, as client-node's model type `type` (timestamps as Dates, unknown
 * fields dropped), whether it comes as plain JSON (a listed page) or as a model already (a
 * watch event): the trim gives the same result for both. Only for small subtrees whose
 * field names are the JSON's (client-node renames a few, such as `_continue`).
 */
function asModel(value: unknown, type: string): unknown {
  return ObjectSerializer.deserialize(value, type, '');
}

/** What a container state and its status are shared under: the time it started or ended. */
function stateAnchor(state: V1ContainerState | undefined): unknown {
  if (state === undefined) return undefined;
  return state.running?.startedAt ?? state.terminated?.finishedAt ?? state.waiting?.reason;
}

/** `b` when equal to `a`, so two equal fields of one object share one string. */
function same(a: string | undefined, b: string | undefined): string | undefined {
  return a !== undefined && a === b ? b : a;
}

type PodSpec = NonNullable<V1Pod['spec']>;
type OwnerRef = NonNullable<V1ObjectMeta['ownerReferences']>[number];
type ContainerPort = NonNullable<V1Container['ports']>[number];
type PodCondition = NonNullable<V1PodStatus['conditions']>[number];
type NodeSpec = NonNullable<V1Node['spec']>;
type NodeStatus = NonNullable<V1Node['status']>;
type Taint = NonNullable<NodeSpec['taints']>[number];
type NodeCondition = NonNullable<NodeStatus['conditions']>[number];
type ContainerStateRunning = NonNullable<V1ContainerState['running']>;
type ContainerStateWaiting = NonNullable<V1ContainerState['waiting']>;
type ContainerStateTerminated = NonNullable<V1ContainerState['terminated']>;
type JobSpec = NonNullable<V1Job['spec']>;
type JobStatus = NonNullable<V1Job['status']>;
type JobCondition = NonNullable<JobStatus['conditions']>[number];
type UncountedPods = NonNullable<JobStatus['uncountedTerminatedPods']>;
type NodeInfo = NonNullable<NodeStatus['nodeInfo']>;

// Every trimmed object is built by one of these (src/kube/shape.ts): a literal of exactly
// the fields present, in this order. Arguments are positional, in the order of the keys.
const META = shape<V1ObjectMeta>([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'generation',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
]);
const OWNER_REF = shape<OwnerRef>(['apiVersion', 'kind', 'name', 'uid', 'controller', 'blockOwnerDeletion']);
const RESOURCES = shape<V1ResourceRequirements>(['requests', 'limits']);
const CONTAINER = shape<V1Container>(['name', 'image', 'resources', 'ports', 'restartPolicy']);
const PORT = shape<ContainerPort>(['containerPort', 'name', 'protocol', 'hostPort']);
const POD = shape<V1Pod>(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
const POD_SPEC = shape<PodSpec>([
  'containers',
  'initContainers',
  'nodeName',
  'overhead',
  'resources',
  'priority',
  'priorityClassName',
  'schedulerName',
  'serviceAccountName',
  'restartPolicy',
]);
/** The status fields POD_STATUS takes, in order; any other the model knows is cloned after them. */
const POD_STATUS_KEYS = [
  'phase',
  'conditions',
  'message',
  'reason',
  'nominatedNodeName',
  'hostIP',
  'hostIPs',
  'podIP',
  'podIPs',
  'startTime',
  'initContainerStatuses',
  'containerStatuses',
  'ephemeralContainerStatuses',
  'qosClass',
  'resize',
  'allocatedResources',
] as const;
const POD_STATUS = shape<V1PodStatus & { allocatedResources?: Record<string, string> }>(POD_STATUS_KEYS);
const POD_STATUS_HANDLED: ReadonlySet<string> = new Set(POD_STATUS_KEYS);
const POD_CONDITION = shape<PodCondition>([
  'type',
  'status',
  'reason',
  'message',
  'lastProbeTime',
  'lastTransitionTime',
  'observedGeneration',
]);
const CONTAINER_STATUS = shape<V1ContainerStatus>([
  'name',
  'image',
  'imageID',
  'ready',
  'restartCount',
  'started',
  'state',
  'lastState',
  'resources',
  'allocatedResources',
  'stopSignal',
]);
const CONTAINER_STATE = shape<V1ContainerState>(['running', 'waiting', 'terminated']);
const STATE_RUNNING = shape<ContainerStateRunning>(['startedAt']);
const STATE_WAITING = shape<ContainerStateWaiting>(['reason', 'message']);
const STATE_TERMINATED = shape<ContainerStateTerminated>([
  'exitCode',
  'reason',
  'message',
  'signal',
  'startedAt',
  'finishedAt',
]);
const NODE = shape<V1Node>(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
const NODE_SPEC = shape<NodeSpec>(['unschedulable', 'taints', 'podCIDR', 'podCIDRs', 'providerID']);
const TAINT = shape<Taint>(['key', 'effect', 'value', 'timeAdded']);
const NODE_STATUS = shape<NodeStatus>([
  'capacity',
  'allocatable',
  'conditions',
  'addresses',
  'nodeInfo',
  'phase',
]);
const NODE_CONDITION = shape<NodeCondition>([
  'type',
  'status',
  'reason',
  'message',
  'lastHeartbeatTime',
  'lastTransitionTime',
]);
const JOB = shape<V1Job>(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
const JOB_SPEC = shape<JobSpec>([
  'template',
  'completions',
  'parallelism',
  'backoffLimit',
  'suspend',
  'selector',
  'completionMode',
  'activeDeadlineSeconds',
  'ttlSecondsAfterFinished',
]);
// Job status and node info are built field by field in client-node's model order, as its
// ObjectSerializer made them before (typed timestamps, unknown fields dropped): at ten
// fleet-sized clusters' churn that was 1.8 % of the gateway's main thread for the same result.
const JOB_STATUS = shape<JobStatus>([
  'active',
  'completedIndexes',
  'completionTime',
  'conditions',
  'failed',
  'failedIndexes',
  'ready',
  'startTime',
  'succeeded',
  'terminating',
  'uncountedTerminatedPods',
]);
const JOB_CONDITION = shape<JobCondition>([
  'lastProbeTime',
  'lastTransitionTime',
  'message',
  'reason',
  'status',
  'type',
]);
const UNCOUNTED_PODS = shape<UncountedPods>(['failed', 'succeeded']);
const NODE_INFO = shape<NodeInfo>([
  'architecture',
  'bootID',
  'containerRuntimeVersion',
  'kernelVersion',
  'kubeProxyVersion',
  'kubeletVersion',
  'machineID',
  'operatingSystem',
  'osImage',
  'swap',
  'systemUUID',
]);
const EMPTY_TEMPLATE: JobSpec['template'] = Object.freeze({});

const HANDLED_META = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
]);

/**
 * The trimming steps every kind shares (metadata, resources, string maps), and each mirrored
 * kind's own trim, which the registry entry of the kind names (kinds/*.ts).
 */
export class Trimmer {
  constructor(readonly n: Interner) {}

  /** Copy of a string map with interned values (labels, quantities). */
  rec(r: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined {
    if (r === undefined || r === null) return undefined;
    const o: Record<string, string> = {};
    for (const k in r) o[k] = this.n.string(r[k]);
    return o;
  }

  /** `clone` that also interns strings, for small subtrees whose strings repeat across objects. */
  internDeep(v: unknown): unknown {
    if (typeof v === 'string') return this.n.string(v);
    if (v === null || typeof v !== 'object') return v;
    if (v instanceof Date) return this.n.date(v);
    if (Array.isArray(v)) return v.map((x) => this.internDeep(x));
    const keys = Object.keys(v);
    return exactObject(
      keys,
      keys.map((k) => this.internDeep((v as Rec)[k])),
    );
  }

  meta(m: V1ObjectMeta | undefined, keepAll = false): V1ObjectMeta | undefined {
    if (m === undefined || m === null) return undefined;
    const n = this.n;
    let annotations: Record<string, string> | undefined;
    if (m.annotations) {
      for (const k in m.annotations) {
        if (k === LAST_APPLIED_ANNOTATION) continue;
        annotations ??= {};
        annotations[k] = n.string(m.annotations[k]);
      }
    }
    const o = META(
      m.name,
      m.namespace ? n.string(m.namespace) : undefined,
      m.uid,
      m.resourceVersion,
      n.date(m.creationTimestamp),
      m.generation,
      n.date(m.deletionTimestamp),
      m.deletionGracePeriodSeconds,
      m.labels ? n.shared(this.rec(m.labels)!) : undefined,
      annotations === undefined ? undefined : n.shared(annotations),
      m.ownerReferences
        ? n.shared(
            m.ownerReferences.map((r) =>
              OWNER_REF(r.apiVersion, r.kind, r.name, r.uid, r.controller, r.blockOwnerDeletion),
            ),
          )
        : undefined,
      m.finalizers ? n.shared(m.finalizers.slice()) : undefined,
    );
    if (keepAll) {
      for (const k of Object.keys(m) as (keyof V1ObjectMeta)[]) {
        if (k === 'managedFields' || k === 'annotations' || HANDLED_META.has(k) || k in o) continue;
        put(o, k, clone(m[k]) as never);
      }
    }
    return o;
  }

  resources(r: V1ResourceRequirements | undefined): V1ResourceRequirements | undefined {
    if (r === undefined || r === null || (r.requests === undefined && r.limits === undefined))
      return undefined;
    return RESOURCES(this.rec(r.requests), this.rec(r.limits));
  }

  container(c: V1Container, init: boolean): V1Container {
    return CONTAINER(
      this.n.string(c.name),
      this.n.string(c.image),
      this.resources(c.resources),
      c.ports?.map((p) => PORT(p.containerPort, p.name, p.protocol, p.hostPort)),
      // restartPolicy 'Always' on an init container makes it a sidecar, which changes requests.
      init ? c.restartPolicy : undefined,
    );
  }

  pod(p: V1Pod): V1Pod {
    const n = this.n;
    const s = p.spec;
    const spec = s
      ? POD_SPEC(
          // Container specs are identical across the replicas of a workload: share one instance.
          n.shared((s.containers ?? []).map((c) => this.container(c, false))),
          s.initContainers ? n.shared(s.initContainers.map((c) => this.container(c, true))) : undefined,
          n.string(s.nodeName),
          s.overhead ? n.shared(this.rec(s.overhead)!) : undefined,
          s.resources ? n.shared(this.resources(s.resources)) : undefined,
          s.priority,
          n.string(s.priorityClassName),
          n.string(s.schedulerName),
          n.string(s.serviceAccountName),
          n.string(s.restartPolicy),
        )
      : undefined;
    return POD(KIND_INFO.Pod.apiVersion, 'Pod', this.meta(p.metadata), spec, this.podStatus(p.status));
  }

  podStatus(s: V1PodStatus | undefined): V1PodStatus | undefined {
    if (s === undefined || s === null) return undefined;
    const n = this.n;
    const statuses = (list: V1ContainerStatus[] | undefined) => list?.map((cs) => this.containerStatus(cs));
    const o = POD_STATUS(
      n.string(s.phase),
      s.conditions ? this.podConditions(s.conditions) : undefined,
      s.message,
      n.string(s.reason),
      n.string(s.nominatedNodeName),
      n.string(s.hostIP), // shared by every pod on the node
      s.hostIPs ? n.shared(s.hostIPs.map((h) => ({ ip: n.string(h.ip) }))) : undefined,
      s.podIP,
      // Only when it says more than podIP (see rules.ts `podIPs`, which every reader goes through).
      s.podIPs && !(s.podIPs.length === 1 && s.podIPs[0]?.ip === s.podIP && s.podIP)
        ? s.podIPs.map((ip) => ({ ip: same(ip.ip, s.podIP)! }))
        : undefined,
      n.date(s.startTime),
      statuses(s.initContainerStatuses),
      statuses(s.containerStatuses),
      statuses(s.ephemeralContainerStatuses),
      n.string(s.qosClass),
      n.string(s.resize),
      (s as { allocatedResources?: Record<string, string> }).allocatedResources
        ? n.shared(this.rec((s as { allocatedResources?: Record<string, string> }).allocatedResources)!)
        : undefined,
    );
    for (const k of Object.keys(s)) {
      // Small or rare (resource claim statuses, observedGeneration), and known to the model:
      // a listed page's plain JSON may carry fields client-node's model would have dropped.
      if (POD_STATUS_HANDLED.has(k) || !POD_STATUS_FIELDS.has(k)) continue;
      put(o as Rec, k, clone((s as Rec)[k]));
    }
    return o;
  }

  /**
   * A pod's conditions, each shared with equal ones of other pods (the interner's `object`,
   * by their transition time), and the list too when every condition is: pods that started
   * together have the same.
   */
  podConditions(list: readonly PodCondition[]): PodCondition[] {
    const n = this.n;
    const out = list.map((c) => {
      const at = n.date(c.lastTransitionTime);
      return n.object(
        at ?? c.type,
        POD_CONDITION(
          n.string(c.type),
          n.string(c.status),
          n.string(c.reason),
          c.message,
          n.date(c.lastProbeTime),
          at,
          c.observedGeneration,
        ),
      );
    });
    return out.length > 0 ? n.object(out[0].lastTransitionTime ?? out[0], out) : out;
  }

  containerStatus(cs: V1ContainerStatus): V1ContainerStatus {
    // Dropped: volumeMounts (mirrors the spec's, which we drop), user, allocatedResourcesStatus.
    const n = this.n;
    const state = this.containerState(cs.state);
    return n.object(
      stateAnchor(state) ?? n.string(cs.image),
      CONTAINER_STATUS(
        n.string(cs.name),
        n.string(cs.image),
        n.string(cs.imageID),
        cs.ready,
        cs.restartCount,
        cs.started,
        state,
        this.containerState(cs.lastState),
        cs.resources ? n.shared(this.resources(cs.resources)) : undefined,
        cs.allocatedResources ? n.shared(this.rec(cs.allocatedResources)!) : undefined,
        n.string(cs.stopSignal),
      ),
    );
  }

  /** Undefined for an empty state (`lastState: {}` on every container that never restarted). */
  containerState(st: V1ContainerState | undefined): V1ContainerState | undefined {
    if (st === undefined || st === null) return undefined;
    const n = this.n;
    const { running, waiting, terminated: t } = st;
    if (!running && !waiting && !t) return undefined;
    // Shared with equal states of other containers (the interner's `object`): one started
    // or finished at the same second has the same state. Anchored by that time, as the
    // container status holding it is (see stateAnchor): one map entry for all three.
    const started = running ? n.date(running.startedAt) : undefined;
    const r = running ? n.object(started, STATE_RUNNING(started)) : undefined;
    const reason = n.string(waiting?.reason);
    const w = waiting ? n.object(reason, STATE_WAITING(reason, waiting.message)) : undefined;
    const finished = t ? n.date(t.finishedAt) : undefined;
    const done = t
      ? n.object(
          finished ?? n.string(t.reason),
          STATE_TERMINATED(
            t.exitCode,
            n.string(t.reason),
            t.message,
            t.signal,
            n.date(t.startedAt),
            finished,
          ),
        )
      : undefined;
    const state = CONTAINER_STATE(r, w, done);
    // Without a time or reason to find equals under, it is not shared (the freeze takes it).
    const anchor = stateAnchor(state);
    return anchor === undefined ? state : n.object(anchor, state);
  }

  node(nd: V1Node): V1Node {
    const n = this.n;
    const sp = nd.spec;
    const spec = sp
      ? NODE_SPEC(
          sp.unschedulable,
          sp.taints?.map((t) =>
            TAINT(n.string(t.key), n.string(t.effect), n.string(t.value), n.date(t.timeAdded)),
          ),
          sp.podCIDR,
          sp.podCIDRs?.slice(),
          sp.providerID,
        )
      : undefined;
    const s = nd.status;
    const status = s
      ? NODE_STATUS(
          this.rec(s.capacity),
          this.rec(s.allocatable),
          s.conditions?.map((c) =>
            NODE_CONDITION(
              n.string(c.type),
              n.string(c.status),
              n.string(c.reason),
              n.string(c.message), // kubelet messages repeat across nodes
              n.date(c.lastHeartbeatTime),
              n.date(c.lastTransitionTime),
            ),
          ),
          s.addresses?.map((a) => ({ type: n.string(a.type), address: a.address })),
          s.nodeInfo ? this.nodeInfo(s.nodeInfo) : undefined,
          n.string(s.phase),
        )
      : undefined;
    return NODE(KIND_INFO.Node.apiVersion, 'Node', this.meta(nd.metadata), spec, status);
  }

  job(j: V1Job): V1Job {
    const s = j.spec;
    const spec = s
      ? JOB_SPEC(
          // template is required by the model type; pods are mirrored on their own, so keep it empty.
          EMPTY_TEMPLATE,
          s.completions,
          s.parallelism,
          s.backoffLimit,
          s.suspend,
          clone(s.selector),
          this.n.string(s.completionMode),
          s.activeDeadlineSeconds,
          s.ttlSecondsAfterFinished,
        )
      : undefined;
    const status = j.status ? this.jobStatus(j.status) : undefined;
    return JOB(KIND_INFO.Job.apiVersion, 'Job', this.meta(j.metadata), spec, status);
  }

  /** Every field of client-node's V1JobStatus, timestamps as Dates, strings interned. */
  jobStatus(s: JobStatus): JobStatus {
    const n = this.n;
    const u = s.uncountedTerminatedPods;
    return JOB_STATUS(
      s.active,
      n.string(s.completedIndexes),
      n.date(s.completionTime),
      s.conditions?.map((c) =>
        JOB_CONDITION(
          n.date(c.lastProbeTime),
          n.date(c.lastTransitionTime),
          n.string(c.message),
          n.string(c.reason),
          n.string(c.status),
          n.string(c.type),
        ),
      ),
      s.failed,
      n.string(s.failedIndexes),
      s.ready,
      n.date(s.startTime),
      s.succeeded,
      s.terminating,
      u
        ? UNCOUNTED_PODS(
            u.failed?.map((x) => n.string(x)),
            u.succeeded?.map((x) => n.string(x)),
          )
        : undefined,
    );
  }

  /** Every field of client-node's V1NodeSystemInfo, strings interned (versions, OS and architecture repeat on every node). */
  nodeInfo(i: NodeInfo): NodeInfo {
    const n = this.n;
    return NODE_INFO(
      n.string(i.architecture),
      n.string(i.bootID),
      n.string(i.containerRuntimeVersion),
      n.string(i.kernelVersion),
      n.string(i.kubeProxyVersion),
      n.string(i.kubeletVersion),
      n.string(i.machineID),
      n.string(i.operatingSystem),
      n.string(i.osImage),
      i.swap
        ? i.swap.capacity === undefined || i.swap.capacity === null
          ? {}
          : { capacity: i.swap.capacity }
        : undefined,
      n.string(i.systemUUID),
    );
  }

  namespace(ns: V1Namespace): V1Namespace {
    const o: V1Namespace = { apiVersion: KIND_INFO.Namespace.apiVersion, kind: 'Namespace' };
    put(o, 'metadata', this.meta(ns.metadata, true));
    if (ns.spec) put(o, 'spec', clone(asModel(ns.spec, 'V1NamespaceSpec')) as V1Namespace['spec']);
    if (ns.status) put(o, 'status', clone(asModel(ns.status, 'V1NamespaceStatus')) as V1Namespace['status']);
    return o;
  }
}
