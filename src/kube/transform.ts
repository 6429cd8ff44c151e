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
 * resources.claims, ephemeral containers' specs. Dropped from nodes: status.images (kubelet
 * reports up to 50 images with all their tags and digests), volumesAttached/volumesInUse.
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
import { defaultInterner, type Interner } from './interner.js';
import { KIND_INFO, type KindName, type KubeObjectOf, kindOf } from './kinds.js';

export { deepFreeze, defaultInterner, Interner } from './interner.js';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

export interface TransformOptions {
  interner?: Interner;
}

/** Transform for one kind: what an informer applies to every listed or watched object. */
export type TransformFunc<K extends KindName> = (obj: KubeObjectOf<K>) => KubeObjectOf<K>;

/** Returns a new, trimmed, deeply frozen copy of `obj`. Never mutates `obj`. */
export function transformObject<K extends KindName>(
  kind: K,
  obj: KubeObjectOf<K>,
  options: TransformOptions = {},
): KubeObjectOf<K> {
  const t = new Trimmer(options.interner ?? defaultInterner);
  return freezeTree(kindOf(kind).trim(t, obj));
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
  const o: Rec = {};
  for (const k of Object.keys(v)) {
    const x = (v as Rec)[k];
    if (x !== undefined && x !== null) o[k] = clone(x);
  }
  return o;
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
    const o: Rec = {};
    for (const k of Object.keys(v)) {
      const x = (v as Rec)[k];
      if (x !== undefined && x !== null) o[k] = this.internDeep(x);
    }
    return o;
  }

  meta(m: V1ObjectMeta | undefined, keepAll = false): V1ObjectMeta | undefined {
    if (m === undefined || m === null) return undefined;
    const n = this.n;
    // Literals size the object exactly for the common fields; the rest is added when present.
    const o: V1ObjectMeta = m.namespace
      ? { name: m.name, namespace: n.string(m.namespace), uid: m.uid, resourceVersion: m.resourceVersion }
      : { name: m.name, uid: m.uid, resourceVersion: m.resourceVersion };
    put(o, 'creationTimestamp', n.date(m.creationTimestamp));
    put(o, 'generation', m.generation);
    put(o, 'deletionTimestamp', n.date(m.deletionTimestamp));
    put(o, 'deletionGracePeriodSeconds', m.deletionGracePeriodSeconds);
    if (m.labels) o.labels = n.shared(this.rec(m.labels)!);
    if (m.annotations) {
      let a: Record<string, string> | undefined;
      for (const k in m.annotations) {
        if (k === LAST_APPLIED_ANNOTATION) continue;
        a ??= {};
        a[k] = n.string(m.annotations[k]);
      }
      if (a !== undefined) o.annotations = n.shared(a);
    }
    if (m.ownerReferences) {
      o.ownerReferences = n.shared(
        m.ownerReferences.map((r) => {
          const ref: OwnerRef = { apiVersion: r.apiVersion, kind: r.kind, name: r.name, uid: r.uid };
          put(ref, 'controller', r.controller);
          put(ref, 'blockOwnerDeletion', r.blockOwnerDeletion);
          return ref;
        }),
      );
    }
    if (m.finalizers) o.finalizers = n.shared(m.finalizers.slice());
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
    const o: V1ResourceRequirements = {};
    put(o, 'requests', this.rec(r.requests));
    put(o, 'limits', this.rec(r.limits));
    return o;
  }

  container(c: V1Container, init: boolean): V1Container {
    const o: V1Container = { name: this.n.string(c.name) };
    put(o, 'image', this.n.string(c.image));
    put(o, 'resources', this.resources(c.resources));
    put(
      o,
      'ports',
      c.ports?.map((p) => {
        const port: ContainerPort = { containerPort: p.containerPort };
        put(port, 'name', p.name);
        put(port, 'protocol', p.protocol);
        put(port, 'hostPort', p.hostPort);
        return port;
      }),
    );
    // restartPolicy 'Always' on an init container makes it a sidecar, which changes requests.
    if (init) put(o, 'restartPolicy', c.restartPolicy);
    return o;
  }

  pod(p: V1Pod): V1Pod {
    const n = this.n;
    const o: V1Pod = { apiVersion: KIND_INFO.Pod.apiVersion, kind: 'Pod' };
    put(o, 'metadata', this.meta(p.metadata));
    const s = p.spec;
    if (s) {
      // Container specs are identical across the replicas of a workload: share one instance.
      const spec: PodSpec = {
        containers: n.shared((s.containers ?? []).map((c) => this.container(c, false))),
      };
      if (s.initContainers)
        spec.initContainers = n.shared(s.initContainers.map((c) => this.container(c, true)));
      put(spec, 'nodeName', n.string(s.nodeName));
      if (s.overhead) spec.overhead = n.shared(this.rec(s.overhead)!);
      if (s.resources) put(spec, 'resources', n.shared(this.resources(s.resources)));
      put(spec, 'priority', s.priority);
      put(spec, 'priorityClassName', n.string(s.priorityClassName));
      put(spec, 'schedulerName', n.string(s.schedulerName));
      put(spec, 'serviceAccountName', n.string(s.serviceAccountName));
      put(spec, 'restartPolicy', n.string(s.restartPolicy));
      o.spec = spec;
    }
    put(o, 'status', this.podStatus(p.status));
    return o;
  }

  podStatus(s: V1PodStatus | undefined): V1PodStatus | undefined {
    if (s === undefined || s === null) return undefined;
    const n = this.n;
    const o: V1PodStatus = {};
    for (const k of Object.keys(s) as (keyof V1PodStatus)[]) {
      const v = s[k];
      if (v === undefined || v === null) continue;
      switch (k) {
        case 'phase':
        case 'qosClass':
        case 'hostIP': // shared by every pod on the node
        case 'nominatedNodeName':
        case 'reason':
        case 'resize':
          o[k] = n.string(v as string);
          break;
        case 'hostIPs':
          o.hostIPs = n.shared(s.hostIPs!.map((h) => ({ ip: n.string(h.ip) })));
          break;
        case 'podIPs':
          o.podIPs = s.podIPs!.map((ip) => ({ ip: same(ip.ip, s.podIP)! }));
          break;
        case 'startTime':
          o.startTime = n.date(s.startTime);
          break;
        case 'conditions':
          o.conditions = s.conditions!.map((c) => {
            const cond: PodCondition = { type: n.string(c.type), status: n.string(c.status) };
            put(cond, 'reason', n.string(c.reason));
            put(cond, 'message', c.message);
            put(cond, 'lastTransitionTime', n.date(c.lastTransitionTime));
            put(cond, 'lastProbeTime', n.date(c.lastProbeTime));
            put(cond, 'observedGeneration', c.observedGeneration);
            return cond;
          });
          break;
        case 'containerStatuses':
        case 'initContainerStatuses':
        case 'ephemeralContainerStatuses':
          o[k] = (v as V1ContainerStatus[]).map((cs) => this.containerStatus(cs));
          break;
        case 'allocatedResources':
          o.allocatedResources = n.shared(this.rec(s.allocatedResources)!);
          break;
        default:
          // Small or rare (podIP, message, resource claim statuses), and known to the model:
          // a listed page's plain JSON may carry fields client-node's model would have dropped.
          if (POD_STATUS_FIELDS.has(k)) (o as Rec)[k] = clone(v);
      }
    }
    return o;
  }

  containerStatus(cs: V1ContainerStatus): V1ContainerStatus {
    // Dropped: volumeMounts (mirrors the spec's, which we drop), user, allocatedResourcesStatus.
    const n = this.n;
    const o: V1ContainerStatus = {
      name: n.string(cs.name),
      image: n.string(cs.image),
      imageID: n.string(cs.imageID),
      ready: cs.ready,
      restartCount: cs.restartCount,
    };
    put(o, 'started', cs.started);
    put(o, 'containerID', cs.containerID);
    put(o, 'state', this.containerState(cs.state, cs.containerID));
    put(o, 'lastState', this.containerState(cs.lastState, cs.containerID));
    if (cs.resources) put(o, 'resources', n.shared(this.resources(cs.resources)));
    if (cs.allocatedResources) o.allocatedResources = n.shared(this.rec(cs.allocatedResources)!);
    put(o, 'stopSignal', n.string(cs.stopSignal));
    return o;
  }

  /** Undefined for an empty state (`lastState: {}` on every container that never restarted). */
  containerState(
    st: V1ContainerState | undefined,
    containerID: string | undefined,
  ): V1ContainerState | undefined {
    if (st === undefined || st === null) return undefined;
    const n = this.n;
    let o: V1ContainerState | undefined;
    if (st.running) {
      o = { running: {} };
      put(o.running!, 'startedAt', n.date(st.running.startedAt));
    }
    if (st.waiting) {
      o ??= {};
      o.waiting = {};
      put(o.waiting, 'reason', n.string(st.waiting.reason));
      put(o.waiting, 'message', st.waiting.message);
    }
    if (st.terminated) {
      const t = st.terminated;
      o ??= {};
      o.terminated = { exitCode: t.exitCode };
      put(o.terminated, 'reason', n.string(t.reason));
      put(o.terminated, 'message', t.message);
      put(o.terminated, 'signal', t.signal);
      put(o.terminated, 'startedAt', n.date(t.startedAt));
      put(o.terminated, 'finishedAt', n.date(t.finishedAt));
      put(o.terminated, 'containerID', same(t.containerID, containerID));
    }
    return o;
  }

  node(nd: V1Node): V1Node {
    const n = this.n;
    const o: V1Node = { apiVersion: KIND_INFO.Node.apiVersion, kind: 'Node' };
    put(o, 'metadata', this.meta(nd.metadata));
    if (nd.spec) {
      const spec: NodeSpec = {};
      put(spec, 'unschedulable', nd.spec.unschedulable);
      put(
        spec,
        'taints',
        nd.spec.taints?.map((t) => {
          const taint: Taint = { key: n.string(t.key), effect: n.string(t.effect) };
          put(taint, 'value', n.string(t.value));
          put(taint, 'timeAdded', n.date(t.timeAdded));
          return taint;
        }),
      );
      put(spec, 'podCIDR', nd.spec.podCIDR);
      put(spec, 'podCIDRs', nd.spec.podCIDRs?.slice());
      put(spec, 'providerID', nd.spec.providerID);
      o.spec = spec;
    }
    const s = nd.status;
    if (s) {
      const status: NodeStatus = {};
      put(status, 'capacity', this.rec(s.capacity));
      put(status, 'allocatable', this.rec(s.allocatable));
      put(
        status,
        'conditions',
        s.conditions?.map((c) => {
          const cond: NodeCondition = { type: n.string(c.type), status: n.string(c.status) };
          put(cond, 'reason', n.string(c.reason));
          put(cond, 'message', n.string(c.message)); // kubelet messages repeat across nodes
          put(cond, 'lastHeartbeatTime', n.date(c.lastHeartbeatTime));
          put(cond, 'lastTransitionTime', n.date(c.lastTransitionTime));
          return cond;
        }),
      );
      put(
        status,
        'addresses',
        s.addresses?.map((a) => ({ type: n.string(a.type), address: a.address })),
      );
      // Versions, OS and architecture repeat on every node.
      if (s.nodeInfo)
        put(
          status,
          'nodeInfo',
          this.internDeep(asModel(s.nodeInfo, 'V1NodeSystemInfo')) as NodeStatus['nodeInfo'],
        );
      put(status, 'phase', n.string(s.phase));
      o.status = status;
    }
    return o;
  }

  job(j: V1Job): V1Job {
    const o: V1Job = { apiVersion: KIND_INFO.Job.apiVersion, kind: 'Job' };
    put(o, 'metadata', this.meta(j.metadata));
    const s = j.spec;
    if (s) {
      // template is required by the model type; pods are mirrored on their own, so keep it empty.
      const spec: NonNullable<V1Job['spec']> = { template: {} };
      put(spec, 'completions', s.completions);
      put(spec, 'parallelism', s.parallelism);
      put(spec, 'backoffLimit', s.backoffLimit);
      put(spec, 'suspend', s.suspend);
      put(spec, 'selector', clone(s.selector) as NonNullable<V1Job['spec']>['selector']);
      put(spec, 'completionMode', this.n.string(s.completionMode));
      put(spec, 'activeDeadlineSeconds', s.activeDeadlineSeconds);
      put(spec, 'ttlSecondsAfterFinished', s.ttlSecondsAfterFinished);
      o.spec = spec;
    }
    // Kept whole, so its timestamps are typed by client-node's model (plain JSON has strings).
    if (j.status) put(o, 'status', this.internDeep(asModel(j.status, 'V1JobStatus')) as V1Job['status']);
    return o;
  }

  namespace(ns: V1Namespace): V1Namespace {
    const o: V1Namespace = { apiVersion: KIND_INFO.Namespace.apiVersion, kind: 'Namespace' };
    put(o, 'metadata', this.meta(ns.metadata, true));
    if (ns.spec) put(o, 'spec', clone(asModel(ns.spec, 'V1NamespaceSpec')) as V1Namespace['spec']);
    if (ns.status) put(o, 'status', clone(asModel(ns.status, 'V1NamespaceStatus')) as V1Namespace['status']);
    return o;
  }
}
