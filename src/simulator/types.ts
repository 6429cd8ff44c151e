/**
 * Shapes shared by the simulator's modules. The simulator stands in for a real
 * kube-apiserver, so it imports nothing of kubegate's own (see DESIGN.md).
 */

/** A Kubernetes object as it travels on the wire (JSON). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  // biome-ignore lint/suspicious/noExplicitAny: wire objects are open-ended JSON
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: wire objects are open-ended JSON
  status?: any;
  [extra: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  generateName?: string;
  managedFields?: unknown[];
}

/** The resources the simulator stores and serves (plural, lower-case, as in URLs). */
export type ResourceName =
  | 'namespaces'
  | 'nodes'
  | 'pods'
  | 'events'
  | 'jobs'
  | 'leases'
  | 'daemonsets'
  | 'clusterrolebindings'
  | 'clusterroles'
  | 'rolebindings'
  | 'roles';

/** The kinds of rbac.authorization.k8s.io/v1. */
export type RbacResource = 'clusterrolebindings' | 'clusterroles' | 'rolebindings' | 'roles';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** The API groups of stored resources: the core group (''), apps, batch, coordination.k8s.io and RBAC. */
export type ApiGroup = '' | 'apps' | 'batch' | 'coordination.k8s.io' | typeof RBAC_GROUP;

export interface ResourceInfo {
  name: ResourceName;
  singularName: string;
  kind: string;
  listKind: string;
  group: ApiGroup;
  version: 'v1';
  apiVersion: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
}

export const RESOURCES: Record<ResourceName, ResourceInfo> = {
  namespaces: {
    name: 'namespaces',
    singularName: 'namespace',
    kind: 'Namespace',
    listKind: 'NamespaceList',
    group: '',
    version: 'v1',
    apiVersion: 'v1',
    namespaced: false,
    shortNames: ['ns'],
    categories: [],
  },
  nodes: {
    name: 'nodes',
    singularName: 'node',
    kind: 'Node',
    listKind: 'NodeList',
    group: '',
    version: 'v1',
    apiVersion: 'v1',
    namespaced: false,
    shortNames: ['no'],
    categories: [],
  },
  pods: {
    name: 'pods',
    singularName: 'pod',
    kind: 'Pod',
    listKind: 'PodList',
    group: '',
    version: 'v1',
    apiVersion: 'v1',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
  },
  events: {
    name: 'events',
    singularName: 'event',
    kind: 'Event',
    listKind: 'EventList',
    group: '',
    version: 'v1',
    apiVersion: 'v1',
    namespaced: true,
    shortNames: ['ev'],
    categories: [],
  },
  jobs: {
    name: 'jobs',
    singularName: 'job',
    kind: 'Job',
    listKind: 'JobList',
    group: 'batch',
    version: 'v1',
    apiVersion: 'batch/v1',
    namespaced: true,
    shortNames: [],
    categories: ['all'],
  },
  leases: {
    name: 'leases',
    singularName: 'lease',
    kind: 'Lease',
    listKind: 'LeaseList',
    group: 'coordination.k8s.io',
    version: 'v1',
    apiVersion: 'coordination.k8s.io/v1',
    namespaced: true,
    shortNames: [],
    categories: [],
  },
  // apps/v1 DaemonSets, so that `kubectl drain --ignore-daemonsets` finds the owners of the
  // daemon pods it leaves alone (it GETs each one).
  daemonsets: {
    name: 'daemonsets',
    singularName: 'daemonset',
    kind: 'DaemonSet',
    listKind: 'DaemonSetList',
    group: 'apps',
    version: 'v1',
    apiVersion: 'apps/v1',
    namespaced: true,
    shortNames: ['ds'],
    categories: ['all'],
  },
  // rbac.authorization.k8s.io/v1, in the order kube-apiserver's discovery lists them.
  clusterrolebindings: rbacInfo('clusterrolebindings', 'ClusterRoleBinding', false),
  clusterroles: rbacInfo('clusterroles', 'ClusterRole', false),
  rolebindings: rbacInfo('rolebindings', 'RoleBinding', true),
  roles: rbacInfo('roles', 'Role', true),
};

function rbacInfo(name: RbacResource, kind: string, namespaced: boolean): ResourceInfo {
  return {
    name,
    singularName: name.slice(0, -1),
    kind,
    listKind: `${kind}List`,
    group: RBAC_GROUP,
    version: 'v1',
    apiVersion: `${RBAC_GROUP}/v1`,
    namespaced,
    shortNames: [],
    categories: [],
  };
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change recorded in the store's history. */
export interface StoredEvent {
  /** The global resourceVersion this change produced. */
  rv: number;
  resource: ResourceName;
  type: WatchEventType;
  object: KubeObject;
  /**
   * For MODIFIED: the state before, so a filtered watch can turn a change into ADDED or
   * DELETED; for DELETED: the last stored state, so a list at an older resourceVersion can
   * be rebuilt.
   */
  previous?: KubeObject;
}
