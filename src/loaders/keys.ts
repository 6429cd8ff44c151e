/**
 * The keys loaders are asked for, their DataLoader cache keys, and the in-memory matching
 * that a batch applies when it answers many keys from one LIST.
 */
import { jobNameOfPod } from '../kube/indexer.js';
import type { KindName, KubeObjectOf } from '../kube/kinds.js';
import { type LabelRequirement, matchLabels, parseLabelSelector } from '../kube/selector.js';
import { type JobState, jobState } from './derive.js';

export type AnyObject = KubeObjectOf<KindName>;

/** A filtered list of one kind in one cluster: what a connection field asks for. */
export interface ListKey {
  cluster: string;
  kind: KindName;
  namespace?: string;
  /** Kubernetes label selector text; the schema has parsed it once already. */
  labelSelector?: string;
  /** Pods bound to this node. */
  nodeName?: string;
  /** Pods of this job (in `namespace`). */
  jobName?: string;
  /** Pods in this phase ('Running', ...). */
  phase?: string;
  /** Jobs in this state. */
  state?: JobState;
  /** Case-insensitive substring of the name. */
  search?: string;
}

/** One object by name. */
export interface ObjectKey {
  cluster: string;
  kind: KindName;
  namespace?: string;
  name: string;
}

export const listCacheKey = (k: ListKey): string =>
  JSON.stringify([
    k.cluster,
    k.kind,
    k.namespace ?? null,
    k.labelSelector ?? null,
    k.nodeName ?? null,
    k.jobName ?? null,
    k.phase ?? null,
    k.state ?? null,
    k.search ?? null,
  ]);

export const objectCacheKey = (k: ObjectKey): string =>
  JSON.stringify([k.cluster, k.kind, k.namespace ?? null, k.name]);

/** A ListKey's filters, compiled once per key so matching a LIST of 10k objects stays cheap. */
export type Matcher = (obj: AnyObject) => boolean;

export function compileMatcher(key: ListKey): Matcher {
  const labels: LabelRequirement[] = parseLabelSelector(key.labelSelector ?? '');
  const search = key.search?.toLowerCase();
  const namespaced = key.kind === 'Pod' || key.kind === 'Job';
  return (obj) => {
    const meta = obj.metadata;
    if (namespaced && key.namespace !== undefined && meta?.namespace !== key.namespace) return false;
    if (key.kind === 'Namespace' && key.namespace !== undefined && meta?.name !== key.namespace) return false;
    if (labels.length > 0 && !matchLabels(labels, meta?.labels)) return false;
    if (search && !(meta?.name ?? '').toLowerCase().includes(search)) return false;
    if (key.kind === 'Pod') {
      const pod = obj as KubeObjectOf<'Pod'>;
      if (key.nodeName !== undefined && pod.spec?.nodeName !== key.nodeName) return false;
      if (key.phase !== undefined && (pod.status?.phase ?? 'Pending') !== key.phase) return false;
      if (key.jobName !== undefined && jobNameOfPod(pod) !== key.jobName) return false;
    }
    if (key.kind === 'Job' && key.state !== undefined && jobState(obj as KubeObjectOf<'Job'>) !== key.state)
      return false;
    return true;
  };
}

/** Indexes of `keys` grouped by what one upstream call can serve: (cluster, kind). */
export function groupBy<K>(keys: readonly K[], by: (key: K) => string): number[][] {
  const groups = new Map<string, number[]>();
  keys.forEach((key, i) => {
    const g = by(key);
    const list = groups.get(g);
    if (list) list.push(i);
    else groups.set(g, [i]);
  });
  return [...groups.values()];
}

/** The one namespace all keys share, or undefined when they span namespaces (or have none). */
export function commonNamespace(keys: readonly { namespace?: string }[]): string | undefined {
  const first = keys[0]?.namespace;
  return first !== undefined && keys.every((k) => k.namespace === first) ? first : undefined;
}
