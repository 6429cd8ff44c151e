/**
 * Facts derived from one object that both the loaders (filters, summaries) and the schema
 * (fields, ordering) need, so that a `state: FAILED` filter and the `state` field can never
 * disagree.
 */
import type { KubeObjectOf } from '../kube/kinds.js';
import { cpuMillis, memoryBytes } from '../kube/quantity.js';

export type JobState = 'ACTIVE' | 'COMPLETE' | 'FAILED' | 'SUSPENDED';
export const JOB_STATES: readonly JobState[] = Object.freeze(['ACTIVE', 'COMPLETE', 'FAILED', 'SUSPENDED']);

type Job = KubeObjectOf<'Job'>;
type Node = KubeObjectOf<'Node'>;
type Pod = KubeObjectOf<'Pod'>;

/**
 * The job controller's terminal conditions win (a suspended job that completed is COMPLETE);
 * `spec.suspend` makes a running job SUSPENDED, as `kubectl get jobs` shows it.
 */
export function jobState(job: Job): JobState {
  const conditions = job.status?.conditions ?? [];
  const isTrue = (type: string) => conditions.some((c) => c.type === type && c.status === 'True');
  if (isTrue('Complete')) return 'COMPLETE';
  if (isTrue('Failed')) return 'FAILED';
  if (job.spec?.suspend === true || isTrue('Suspended')) return 'SUSPENDED';
  return 'ACTIVE';
}

/** The kubelet's Ready condition; a node that never reported one is not ready. */
export function nodeReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** What `kubectl get pods` shows as RESTARTS: app and init containers' restart counts. */
export function podRestarts(pod: Pod): number {
  let total = 0;
  for (const cs of pod.status?.containerStatuses ?? []) total += cs.restartCount ?? 0;
  for (const cs of pod.status?.initContainerStatuses ?? []) total += cs.restartCount ?? 0;
  return total;
}

/** The pod's Ready condition. */
export function podReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export interface NodeResources {
  cpuMillis: number | null;
  memoryBytes: number | null;
  pods: number | null;
}

/** A quantity parsed by the kube layer (client-node's quantityToScalar), or null when absent or malformed. */
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
