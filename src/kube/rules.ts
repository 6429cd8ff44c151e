/**
 * The Kubernetes rules kubegate applies, in one place: what a pod's Job is, a pod's phase
 * and readiness, what it requests, a job's state, a node's readiness and roles, and how
 * quantities read. The informer-side indexes and aggregates, the cached and no-cache read
 * paths, the filters, the orderings and the schema's fields all call these, so a filter
 * and the field it filters on can never disagree.
 */
import type { V1Job, V1Node, V1Pod } from '@kubernetes/client-node';
import { cpuMillis, effectivePodRequests, memoryBytes } from './quantity.js';

export { effectivePodRequests, type PodRequests } from './quantity.js';

type Job = V1Job;
type Node = V1Node;
type Pod = V1Pod;

interface WithMeta {
  metadata?: Pod['metadata'];
}

// ---- Pods ------------------------------------------------------------------------------

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
export const POD_PHASES: readonly PodPhase[] = Object.freeze([
  'Pending',
  'Running',
  'Succeeded',
  'Failed',
  'Unknown',
]);

/**
 * A pod's phase. The API server defaults an empty phase to Pending on create, so a pod
 * with no phase is Pending (for the aggregates, the `phase` field and the PENDING filter
 * alike); a phase this version does not know is Unknown.
 */
export function podPhase(pod: Pod): PodPhase {
  const phase = pod.status?.phase;
  if (phase === undefined || phase === '') return 'Pending';
  return (POD_PHASES as readonly string[]).includes(phase) ? (phase as PodPhase) : 'Unknown';
}

/**
 * Whether an API server's `status.phase=X` field selector selects exactly the pods whose
 * podPhase() is X. Not for Pending (a pod with no phase is Pending here but has
 * status.phase "" there) nor Unknown (any unknown string): those are filtered in memory.
 */
export function phaseIsExactOnServer(phase: PodPhase): boolean {
  return phase === 'Running' || phase === 'Succeeded' || phase === 'Failed';
}

/** True for pods that no longer hold node resources (`kubectl describe node` leaves them out). */
export function isTerminated(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * Whether `conditions` hold a condition `type` with status True. A loop, not `some`: the
 * mirror's arrays are frozen, and V8 (Node 24) has no fast path for `some`, `find`, `filter`
 * or `slice` on frozen elements: on a frozen array of four conditions `some` took 206 ns
 * against 54 ns unfrozen and 32 ns for this loop (`npx tsx bench/frozen-arrays.ts`), and a
 * node's `ready` was 8.6 % of Q2's CPU profile at size L (1,000 nodes a request).
 */
function conditionTrue(
  conditions: readonly { type: string; status: string }[] | undefined,
  type: string,
): boolean {
  if (conditions === undefined || conditions === null) return false;
  for (let i = 0; i < conditions.length; i++) {
    const c = conditions[i];
    if (c.type === type && c.status === 'True') return true;
  }
  return false;
}

/** The pod's Ready condition. */
export function podReady(pod: Pod): boolean {
  return conditionTrue(pod.status?.conditions, 'Ready');
}

/**
 * The pod's IP addresses, primary first. The mirror keeps `status.podIPs` only when it says
 * more than `status.podIP` (a dual-stack pod): kube-apiserver requires podIPs[0] to be podIP,
 * so a single-stack pod's podIPs is `[{ ip: podIP }]`, and storing that list (an array, its
 * elements and an object) cost 95 B a pod for nothing (1,843 → 1,748 B per trimmed pod at the
 * fleet's shape, `scripts/measure-trim.ts`; transform.ts `podStatus`). A pod with a
 * podIP and no podIPs (an object written before podIPs existed) has that one address too, as
 * the API server's defaulting gives it.
 */
export function podIPs(pod: Pod): string[] {
  const { podIP, podIPs: ips } = pod.status ?? {};
  if (ips && ips.length > 0) return ips.map((ip) => ip.ip);
  return podIP ? [podIP] : [];
}

/** What `kubectl get pods` shows as RESTARTS: app and init containers' restart counts. */
export function podRestarts(pod: Pod): number {
  let total = 0;
  for (const cs of pod.status?.containerStatuses ?? []) total += cs.restartCount ?? 0;
  for (const cs of pod.status?.initContainerStatuses ?? []) total += cs.restartCount ?? 0;
  return total;
}

export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_JOB_NAME_LABEL = 'job-name';

/**
 * The Job a pod belongs to. The controller ownerReference is authoritative (labels can be
 * put on any pod by anyone); the job controller's labels cover pods whose reference is
 * gone, e.g. orphaned with `--cascade=orphan`. The new label wins over the legacy one
 * (they agree when the job controller set both).
 */
export function jobNameOfPod(pod: WithMeta): string | undefined {
  const meta = pod.metadata;
  if (meta === undefined) return undefined;
  const refs = meta.ownerReferences;
  if (refs !== undefined) {
    for (const r of refs) {
      if (r.controller === true && r.kind === 'Job' && r.apiVersion.startsWith('batch/')) return r.name;
    }
  }
  const labels = meta.labels;
  return labels?.[JOB_NAME_LABEL] || labels?.[LEGACY_JOB_NAME_LABEL] || undefined;
}

// ---- Jobs ------------------------------------------------------------------------------

export type JobState = 'ACTIVE' | 'COMPLETE' | 'FAILED' | 'SUSPENDED';
export const JOB_STATES: readonly JobState[] = Object.freeze(['ACTIVE', 'COMPLETE', 'FAILED', 'SUSPENDED']);

/**
 * The job controller's terminal conditions win (a suspended job that completed is COMPLETE);
 * `spec.suspend` makes a running job SUSPENDED, as `kubectl get jobs` shows it.
 */
export function jobState(job: Job): JobState {
  // One pass and no closure: a namespace-limited caller's summary calls this for every job
  // it sees, and under tsx (esbuild's keepNames) a closure made per call is also named per
  // call (Object.defineProperty), which cost more than the rest of it (bench/rbac-only.ts).
  let complete = false;
  let failed = false;
  let suspended = job.spec?.suspend === true;
  for (const c of job.status?.conditions ?? []) {
    if (c.status !== 'True') continue;
    if (c.type === 'Complete') complete = true;
    else if (c.type === 'Failed') failed = true;
    else if (c.type === 'Suspended') suspended = true;
  }
  return complete ? 'COMPLETE' : failed ? 'FAILED' : suspended ? 'SUSPENDED' : 'ACTIVE';
}

// ---- Nodes -----------------------------------------------------------------------------

/** The kubelet's Ready condition; a node that never reported one is not ready. */
export function nodeReady(node: Node): boolean {
  return conditionTrue(node.status?.conditions, 'Ready');
}

/** The node's first InternalIP address, as `kubectl get nodes -o wide` shows INTERNAL-IP. */
export function nodeInternalIP(node: Node): string | undefined {
  const addresses = node.status?.addresses;
  if (addresses === undefined || addresses === null) return undefined;
  for (let i = 0; i < addresses.length; i++)
    if (addresses[i].type === 'InternalIP') return addresses[i].address;
  return undefined;
}

export const NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';

/** From the node-role.kubernetes.io/<role> labels, sorted, as kubectl shows ROLES. */
export function nodeRoles(node: Node): string[] {
  return Object.keys(node.metadata?.labels ?? {})
    .filter((k) => k.startsWith(NODE_ROLE_PREFIX) && k.length > NODE_ROLE_PREFIX.length)
    .map((k) => k.slice(NODE_ROLE_PREFIX.length))
    .sort();
}

export interface NodeResources {
  cpuMillis: number | null;
  memoryBytes: number | null;
  pods: number | null;
}

/** A quantity parsed (client-node's quantityToScalar), or null when absent or malformed. */
function quantity(parse: (q: string | undefined) => number, q: string | undefined): number | null {
  if (q === undefined || q === '') return null;
  try {
    return parse(q);
  } catch {
    return null; // a malformed quantity the API server would not have stored; show "unknown", not 0
  }
}

/** A node's capacity or allocatable. `pods` is a plain count, which memoryBytes' integer parse also reads. */
export function nodeResources(node: Node, which: 'capacity' | 'allocatable'): NodeResources {
  const list = node.status?.[which];
  return {
    cpuMillis: quantity(cpuMillis, list?.cpu),
    memoryBytes: quantity(memoryBytes, list?.memory),
    pods: quantity(memoryBytes, list?.pods),
  };
}

/** One container's requests or limits, each null when the container does not set it. */
export function containerResources(list: Readonly<Record<string, string>> | undefined): {
  cpuMillis: number | null;
  memoryBytes: number | null;
} {
  return { cpuMillis: quantity(cpuMillis, list?.cpu), memoryBytes: quantity(memoryBytes, list?.memory) };
}

/** What a set of pods holds of node resources: the non-terminated bound ones and their requests. */
export interface NodeUsage {
  podCount: number;
  cpuMillis: number;
  memoryBytes: number;
}

/** Whether a pod counts towards its node's usage, and with what. */
export function nodeUsageOf(
  pod: Pod,
): { nodeName: string; cpuMillis: number; memoryBytes: number } | undefined {
  const nodeName = pod.spec?.nodeName;
  if (!nodeName || isTerminated(pod)) return undefined;
  const r = effectivePodRequests(pod);
  return { nodeName, cpuMillis: r.cpuMillis, memoryBytes: r.memoryBytes };
}
