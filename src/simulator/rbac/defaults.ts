/**
 * The default RBAC objects a kube-apiserver creates at start (its bootstrap policy,
 * plugin/pkg/auth/authorizer/rbac/bootstrappolicy, rules as its testdata/cluster-roles.yaml
 * has them), limited to what a cluster like the simulator's uses: the user-facing roles
 * (cluster-admin, and admin/edit/view aggregated from the system:aggregate-to-* roles by their
 * `rbac.authorization.k8s.io/aggregate-to-*` labels), the roles every user and every
 * anonymous client gets (system:basic-user, system:discovery, system:public-info-viewer),
 * system:auth-delegator (TokenReview and SubjectAccessReview, for a gateway), and the roles of
 * the components the scenario stands in for (system:kube-scheduler, system:node,
 * system:controller:job-controller). All carry `kubernetes.io/bootstrapping: rbac-defaults`
 * and the autoupdate annotation, as on a real cluster.
 */
import { createHash } from 'node:crypto';
import type { SimStore } from '../store.js';
import { type KubeObject, RBAC_GROUP } from '../types.js';
import {
  ALL_AUTHENTICATED,
  ALL_UNAUTHENTICATED,
  type PolicyRule,
  type Subject,
  SYSTEM_MASTERS,
} from './types.js';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const READ_WRITE = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const r = (
  verbs: string[],
  apiGroups: string[],
  resources: string[],
  resourceNames?: string[],
): PolicyRule => ({
  apiGroups,
  resources,
  ...(resourceNames ? { resourceNames } : {}),
  verbs,
});
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ nonResourceURLs, verbs });

const aggregateTo = (role: 'admin' | 'edit' | 'view') => `rbac.authorization.k8s.io/aggregate-to-${role}`;

interface RoleSpec {
  name: string;
  labels?: Record<string, string>;
  aggregate?: string;
  rules?: PolicyRule[];
}

const CLUSTER_ROLES: RoleSpec[] = [
  { name: 'admin', aggregate: aggregateTo('admin') },
  {
    name: 'cluster-admin',
    rules: [r(['*'], ['*'], ['*']), urls(['*'], ['*'])],
  },
  { name: 'edit', labels: { [aggregateTo('admin')]: 'true' }, aggregate: aggregateTo('edit') },
  {
    name: 'system:aggregate-to-admin',
    labels: { [aggregateTo('admin')]: 'true' },
    rules: [
      r(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
      r(READ_WRITE, [RBAC_GROUP], ['rolebindings', 'roles']),
    ],
  },
  {
    name: 'system:aggregate-to-edit',
    labels: { [aggregateTo('edit')]: 'true' },
    rules: [
      r(
        READ,
        [''],
        ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'],
      ),
      r(['impersonate'], [''], ['serviceaccounts']),
      r(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
      r(['create'], [''], ['pods/eviction']),
      r(
        WRITE,
        [''],
        [
          'configmaps',
          'persistentvolumeclaims',
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'secrets',
          'serviceaccounts',
          'services',
          'services/proxy',
        ],
      ),
      r(['create'], [''], ['serviceaccounts/token']),
      r(WRITE, ['', 'events.k8s.io'], ['events']),
      r(
        WRITE,
        ['apps'],
        [
          'daemonsets',
          'deployments',
          'deployments/rollback',
          'deployments/scale',
          'replicasets',
          'replicasets/scale',
          'statefulsets',
          'statefulsets/scale',
        ],
      ),
      r(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
      r(WRITE, ['batch'], ['cronjobs', 'jobs']),
      r(
        WRITE,
        ['extensions'],
        [
          'daemonsets',
          'deployments',
          'deployments/rollback',
          'deployments/scale',
          'ingresses',
          'networkpolicies',
          'replicasets',
          'replicasets/scale',
          'replicationcontrollers/scale',
        ],
      ),
      r(WRITE, ['policy'], ['poddisruptionbudgets']),
      r(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
      r(READ_WRITE, ['coordination.k8s.io'], ['leases']),
    ],
  },
  {
    name: 'system:aggregate-to-view',
    labels: { [aggregateTo('view')]: 'true' },
    rules: [
      r(
        READ,
        [''],
        [
          'configmaps',
          'endpoints',
          'persistentvolumeclaims',
          'persistentvolumeclaims/status',
          'pods',
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'serviceaccounts',
          'services',
          'services/status',
        ],
      ),
      r(
        READ,
        [''],
        [
          'bindings',
          'limitranges',
          'namespaces/status',
          'pods/log',
          'pods/status',
          'replicationcontrollers/status',
          'resourcequotas',
          'resourcequotas/status',
        ],
      ),
      r(READ, [''], ['namespaces']),
      r(READ, ['', 'events.k8s.io'], ['events']),
      r(READ, ['discovery.k8s.io'], ['endpointslices']),
      r(
        READ,
        ['apps'],
        [
          'controllerrevisions',
          'daemonsets',
          'daemonsets/status',
          'deployments',
          'deployments/scale',
          'deployments/status',
          'replicasets',
          'replicasets/scale',
          'replicasets/status',
          'statefulsets',
          'statefulsets/scale',
          'statefulsets/status',
        ],
      ),
      r(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
      r(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
      r(
        READ,
        ['extensions'],
        [
          'daemonsets',
          'daemonsets/status',
          'deployments',
          'deployments/scale',
          'deployments/status',
          'ingresses',
          'ingresses/status',
          'networkpolicies',
          'replicasets',
          'replicasets/scale',
          'replicasets/status',
          'replicationcontrollers/scale',
        ],
      ),
      r(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
      r(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
    ],
  },
  {
    name: 'system:auth-delegator',
    rules: [
      r(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      r(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    ],
  },
  {
    name: 'system:basic-user',
    rules: [
      r(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
      r(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
    ],
  },
  {
    name: 'system:controller:job-controller',
    rules: [
      r(['get', 'list', 'patch', 'update', 'watch'], ['batch'], ['jobs']),
      r(['update'], ['batch'], ['jobs/status']),
      r(['update'], ['batch'], ['jobs/finalizers']),
      r(['create', 'delete', 'list', 'patch', 'watch'], [''], ['pods']),
      r(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    ],
  },
  {
    name: 'system:discovery',
    rules: [
      urls(
        ['get'],
        [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/healthz',
          '/livez',
          '/openapi',
          '/openapi/*',
          '/readyz',
          '/version',
          '/version/',
        ],
      ),
    ],
  },
  {
    name: 'system:kube-scheduler',
    rules: [
      r(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
      r(['create'], ['coordination.k8s.io'], ['leases']),
      r(['get', 'list', 'update', 'watch'], ['coordination.k8s.io'], ['leases'], ['kube-scheduler']),
      r(READ_WRITE, ['coordination.k8s.io'], ['leasecandidates']),
      r(READ, [''], ['nodes']),
      r(['delete', 'get', 'list', 'watch'], [''], ['pods']),
      r(['create'], [''], ['bindings', 'pods/binding']),
      r(['patch', 'update'], [''], ['pods/status']),
      r(READ, [''], ['replicationcontrollers', 'services']),
      r(READ, ['apps', 'extensions'], ['replicasets']),
      r(READ, ['apps'], ['statefulsets']),
      r(READ, ['policy'], ['poddisruptionbudgets']),
      r(READ, [''], ['persistentvolumeclaims', 'persistentvolumes']),
      r(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      r(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
      r(READ, ['storage.k8s.io'], ['csinodes']),
      r(READ, ['storage.k8s.io'], ['volumeattachments']),
      r(READ, [''], ['namespaces']),
      r(READ, ['storage.k8s.io'], ['csidrivers']),
      r(READ, ['storage.k8s.io'], ['csistoragecapacities']),
    ],
  },
  {
    name: 'system:node',
    rules: [
      r(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      r(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews', 'subjectaccessreviews']),
      r(READ, [''], ['services']),
      r(['create', 'get', 'list', 'watch'], [''], ['nodes']),
      r(['patch', 'update'], [''], ['nodes/status']),
      r(['patch', 'update'], [''], ['nodes']),
      r(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
      r(READ, [''], ['pods']),
      r(['create', 'delete'], [''], ['pods']),
      r(['patch', 'update'], [''], ['pods/status']),
      r(['create'], [''], ['pods/eviction']),
      r(READ, [''], ['configmaps', 'secrets']),
      r(['get'], [''], ['persistentvolumeclaims', 'persistentvolumes']),
      r(['get'], [''], ['endpoints']),
      r(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
      r(['create', 'delete', 'get', 'patch', 'update'], ['coordination.k8s.io'], ['leases']),
      r(['get'], ['storage.k8s.io'], ['volumeattachments']),
      r(['create'], [''], ['serviceaccounts/token']),
      r(['get', 'patch', 'update'], [''], ['persistentvolumeclaims/status']),
      r(READ, ['storage.k8s.io'], ['csidrivers']),
      r(['create', 'delete', 'get', 'patch', 'update'], ['storage.k8s.io'], ['csinodes']),
      r(READ, ['node.k8s.io'], ['runtimeclasses']),
      r(['get'], [''], ['serviceaccounts']),
    ],
  },
  {
    name: 'system:public-info-viewer',
    rules: [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])],
  },
  { name: 'view', labels: { [aggregateTo('edit')]: 'true' }, aggregate: aggregateTo('view') },
];

const group = (name: string): Subject => ({ apiGroup: RBAC_GROUP, kind: 'Group', name });
const user = (name: string): Subject => ({ apiGroup: RBAC_GROUP, kind: 'User', name });

const CLUSTER_ROLE_BINDINGS: { name: string; subjects?: Subject[] }[] = [
  { name: 'cluster-admin', subjects: [group(SYSTEM_MASTERS)] },
  { name: 'system:basic-user', subjects: [group(ALL_AUTHENTICATED)] },
  {
    name: 'system:controller:job-controller',
    subjects: [{ kind: 'ServiceAccount', name: 'job-controller', namespace: 'kube-system' }],
  },
  { name: 'system:discovery', subjects: [group(ALL_AUTHENTICATED)] },
  { name: 'system:kube-scheduler', subjects: [user('system:kube-scheduler')] },
  // Since 1.8 no one is bound to system:node: kubelets are authorised by the Node authoriser.
  { name: 'system:node' },
  { name: 'system:public-info-viewer', subjects: [group(ALL_AUTHENTICATED), group(ALL_UNAUTHENTICATED)] },
];

/** A stable uid per object, so the same start gives the same cluster. */
function uidOf(kind: string, name: string): string {
  const h = createHash('sha256').update(`${kind}/${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function metadata(kind: string, name: string, created: string, labels: Record<string, string> = {}) {
  return {
    name,
    uid: uidOf(kind, name),
    creationTimestamp: created,
    labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...labels },
    annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
  };
}

export function defaultClusterRoles(created: string): KubeObject[] {
  return CLUSTER_ROLES.map((spec) => ({
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRole',
    metadata: metadata('ClusterRole', spec.name, created, spec.labels),
    ...(spec.aggregate
      ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [spec.aggregate]: 'true' } }] } }
      : {}),
    ...(spec.rules ? { rules: spec.rules } : {}),
  }));
}

export function defaultClusterRoleBindings(created: string): KubeObject[] {
  return CLUSTER_ROLE_BINDINGS.map((spec) => ({
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: metadata('ClusterRoleBinding', spec.name, created),
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: spec.name },
    ...(spec.subjects ? { subjects: spec.subjects } : {}),
  }));
}

/**
 * Creates the default policy in a store (as the API server's bootstrap does once), dated
 * when kube-system was created if the scenario made it, else now.
 */
export function installDefaultPolicy(store: SimStore): void {
  const created =
    store.get('namespaces', undefined, 'kube-system')?.metadata.creationTimestamp ??
    new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  for (const role of defaultClusterRoles(created)) store.create('clusterroles', role);
  for (const binding of defaultClusterRoleBindings(created)) store.create('clusterrolebindings', binding);
}
