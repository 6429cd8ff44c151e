/**
 * What each field of the live object types reads from the stored object, so a
 * subscription can tell whether a MODIFIED event changed anything its subscriber
 * selected. A field missing here is compared on the whole object (minus
 * resourceVersion): a new field is never silently filtered out, only less precisely.
 */
import type { FieldNode, FragmentDefinitionNode, GraphQLResolveInfo, SelectionSetNode } from 'graphql';
import { type KubeObjectOf, nodeReady, podIPs, podReady } from '../loaders/index.js';

type V1Pod = KubeObjectOf<'Pod'>;
type V1Node = KubeObjectOf<'Node'>;
type V1Job = KubeObjectOf<'Job'>;

type Reader<T> = (obj: T) => unknown;

const meta =
  <T extends { metadata?: object }>(key: string): Reader<T> =>
  (o) =>
    (o.metadata as Record<string, unknown> | undefined)?.[key];

/** Fields every object type shares. */
const COMMON = {
  id: meta('uid'),
  name: meta('name'),
  namespace: meta('namespace'),
  uid: meta('uid'),
  // Declared, not left to the whole-object fallback: that one ignores the resourceVersion,
  // so a subscriber who selected it would miss exactly the RV-only changes it asked for.
  resourceVersion: meta('resourceVersion'),
  labels: meta('labels'),
  annotations: meta('annotations'),
  createdAt: meta('creationTimestamp'),
  creationTimestamp: meta('creationTimestamp'),
  deletedAt: meta('deletionTimestamp'),
  ownerReferences: meta('ownerReferences'),
  cluster: () => undefined,
  __typename: () => undefined,
};

export const POD_DEPENDENCIES: Record<string, Reader<V1Pod>> = {
  ...COMMON,
  phase: (p) => p.status?.phase,
  // What the field resolves to, not the conditions: their probe/heartbeat times move
  // without `ready` changing, and would reach every subscriber that selected it.
  ready: (p) => podReady(p),
  conditions: (p) => p.status?.conditions,
  restarts: (p) => [p.status?.containerStatuses, p.status?.initContainerStatuses],
  reason: (p) => [p.status?.reason, p.status?.containerStatuses, p.metadata?.deletionTimestamp],
  message: (p) => p.status?.message,
  nodeName: (p) => p.spec?.nodeName,
  node: (p) => p.spec?.nodeName,
  job: (p) => [p.metadata?.labels, p.metadata?.ownerReferences],
  podIP: (p) => p.status?.podIP,
  podIPs: (p) => podIPs(p),
  hostIP: (p) => p.status?.hostIP,
  startedAt: (p) => p.status?.startTime,
  qosClass: (p) => p.status?.qosClass,
  priority: (p) => p.spec?.priority,
  priorityClassName: (p) => p.spec?.priorityClassName,
  serviceAccountName: (p) => p.spec?.serviceAccountName,
  restartPolicy: (p) => p.spec?.restartPolicy,
  containers: (p) => [p.spec?.containers, p.status?.containerStatuses],
  initContainers: (p) => [p.spec?.initContainers, p.status?.initContainerStatuses],
  requested: (p) => [p.spec?.containers, p.spec?.initContainers, p.spec?.overhead],
};

export const NODE_DEPENDENCIES: Record<string, Reader<V1Node>> = {
  ...COMMON,
  // The Ready status, not the conditions: every kubelet heartbeat moves their
  // lastHeartbeatTime, which a subscriber selecting `ready` did not ask for.
  ready: (n) => nodeReady(n),
  conditions: (n) => n.status?.conditions,
  unschedulable: (n) => n.spec?.unschedulable,
  taints: (n) => n.spec?.taints,
  addresses: (n) => n.status?.addresses,
  capacity: (n) => n.status?.capacity,
  allocatable: (n) => n.status?.allocatable,
  nodeInfo: (n) => n.status?.nodeInfo,
  kubeletVersion: (n) => n.status?.nodeInfo?.kubeletVersion,
  roles: (n) => n.metadata?.labels,
};

export const JOB_DEPENDENCIES: Record<string, Reader<V1Job>> = {
  ...COMMON,
  state: (j) => [j.status, j.spec?.suspend],
  active: (j) => j.status?.active,
  succeeded: (j) => j.status?.succeeded,
  failed: (j) => j.status?.failed,
  completions: (j) => j.spec?.completions,
  parallelism: (j) => j.spec?.parallelism,
  backoffLimit: (j) => j.spec?.backoffLimit,
  suspended: (j) => j.spec?.suspend,
  startedAt: (j) => j.status?.startTime,
  completedAt: (j) => j.status?.completionTime,
  conditions: (j) => j.status?.conditions,
};

/**
 * The field names selected under `object` in a subscription's selection set,
 * fragments and inline fragments followed.
 */
export function selectedObjectFields(info: GraphQLResolveInfo, objectField = 'object'): string[] {
  const fields = new Set<string>();
  const visit = (set: SelectionSetNode | undefined, into: (node: FieldNode) => void) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === 'Field') into(selection);
      else if (selection.kind === 'InlineFragment') visit(selection.selectionSet, into);
      else {
        const fragment: FragmentDefinitionNode | undefined = info.fragments[selection.name.value];
        visit(fragment?.selectionSet, into);
      }
    }
  };
  for (const node of info.fieldNodes) {
    visit(node.selectionSet, (field) => {
      if (field.name.value === objectField)
        visit(field.selectionSet, (inner) => fields.add(inner.name.value));
    });
  }
  return [...fields];
}
