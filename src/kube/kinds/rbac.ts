/**
 * rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding. Not
 * data a page shows but what decides who sees what: a cluster whose identities are
 * authorised from RBAC (`authorization: rbac`, the default) mirrors these four with
 * informers like any kind, and `rbac.ts` compiles a subject's access from the stores.
 * Bindings are indexed by subject, so compiling one user's access reads only the bindings
 * that name the user or one of the groups: a user bound in 1,000 namespaces costs 1,000
 * bindings, a cluster with 10,000 bindings for others costs nothing.
 */
import type {
  RbacV1Subject,
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1ObjectMeta,
  V1PolicyRule,
  V1Role,
  V1RoleBinding,
} from '@kubernetes/client-node';
import { INDEX_LABEL, INDEX_NAMESPACE, labelIndexFunc, namespaceIndexFunc } from '../indexer.js';
import type { Trimmer } from '../transform.js';
import { defineKind } from './define.js';

/**
 * Sets a field when there is a value. Our own (transform.ts has the same) so this module
 * imports no value from transform.ts, which imports the registry: kube/rbac.ts reads
 * INDEX_SUBJECT from here, and that must not start the registry's import cycle.
 */
function put<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | null | undefined): void {
  if (v !== undefined && v !== null) o[k] = v;
}

/** Value: a subject key (`subjectKey`): who the binding grants to. */
export const INDEX_SUBJECT = 'subject';

/**
 * The key a binding's subject is indexed under, and a user's keys are looked up with:
 * `User:NAME`, `Group:NAME`, `ServiceAccount:NS/NAME`. A ServiceAccount subject without a
 * namespace means the binding's own (as the RBAC authoriser defaults it).
 */
export function subjectKey(subject: RbacV1Subject, bindingNamespace: string | undefined): string | undefined {
  switch (subject.kind) {
    case 'User':
    case 'Group':
      return `${subject.kind}:${subject.name}`;
    case 'ServiceAccount': {
      const ns = subject.namespace || bindingNamespace;
      return ns ? `ServiceAccount:${ns}/${subject.name}` : undefined;
    }
    default:
      return undefined;
  }
}

function subjectIndexFunc(b: V1RoleBinding | V1ClusterRoleBinding): readonly string[] {
  const keys: string[] = [];
  for (const s of b.subjects ?? []) {
    const key = subjectKey(s, b.metadata?.namespace);
    if (key !== undefined) keys.push(key);
  }
  return keys;
}

function trimRules(t: Trimmer, rules: V1PolicyRule[] | undefined): V1PolicyRule[] {
  return (rules ?? []).map((r) => {
    const o = { verbs: r.verbs.map((v) => t.n.string(v)) } as V1PolicyRule;
    put(
      o,
      'apiGroups',
      r.apiGroups?.map((g) => t.n.string(g)),
    );
    put(
      o,
      'resources',
      r.resources?.map((x) => t.n.string(x)),
    );
    put(o, 'resourceNames', r.resourceNames?.slice());
    put(o, 'nonResourceURLs', r.nonResourceURLs?.slice());
    return o;
  });
}

/** What the authoriser reads of a role: its name and rules (annotations dropped). */
function trimRole<T extends V1Role | V1ClusterRole>(t: Trimmer, role: T, kind: string): T {
  const o = { apiVersion: 'rbac.authorization.k8s.io/v1', kind } as T;
  put(o, 'metadata', t.meta(role.metadata) as V1ObjectMeta);
  if (o.metadata) delete o.metadata.annotations;
  o.rules = trimRules(t, role.rules);
  const agg = (role as V1ClusterRole).aggregationRule;
  if (agg) (o as V1ClusterRole).aggregationRule = t.internDeep(agg) as V1ClusterRole['aggregationRule'];
  return o;
}

function trimBinding<T extends V1RoleBinding | V1ClusterRoleBinding>(t: Trimmer, b: T, kind: string): T {
  const o = { apiVersion: 'rbac.authorization.k8s.io/v1', kind } as T;
  put(o, 'metadata', t.meta(b.metadata) as V1ObjectMeta);
  if (o.metadata) delete o.metadata.annotations;
  o.roleRef = { apiGroup: b.roleRef.apiGroup, kind: t.n.string(b.roleRef.kind), name: b.roleRef.name };
  put(
    o,
    'subjects',
    b.subjects?.map((s) => {
      const r = { kind: t.n.string(s.kind), name: s.name } as RbacV1Subject;
      put(r, 'apiGroup', s.apiGroup ? t.n.string(s.apiGroup) : undefined);
      put(r, 'namespace', s.namespace);
      return r;
    }),
  );
  return o;
}

const common = {
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  informer: true,
  readiness: true,
  access: true,
} as const;

export const roleKind = defineKind<V1Role>({
  ...common,
  kind: 'Role',
  plural: 'roles',
  namespaced: true,
  modelType: 'V1Role',
  list: (apis, namespace, options) =>
    namespace
      ? apis.rbac.listNamespacedRole({ namespace, ...options })
      : apis.rbac.listRoleForAllNamespaces(options),
  get: (apis, namespace, name) => apis.rbac.readNamespacedRole({ namespace: namespace ?? '', name }),
  trim: (t, o) => trimRole(t, o, 'Role'),
  indexers: { [INDEX_NAMESPACE]: namespaceIndexFunc, [INDEX_LABEL]: labelIndexFunc },
  filters: {},
});

export const clusterRoleKind = defineKind<V1ClusterRole>({
  ...common,
  kind: 'ClusterRole',
  plural: 'clusterroles',
  namespaced: false,
  modelType: 'V1ClusterRole',
  list: (apis, _namespace, options) => apis.rbac.listClusterRole(options),
  get: (apis, _namespace, name) => apis.rbac.readClusterRole({ name }),
  trim: (t, o) => trimRole(t, o, 'ClusterRole'),
  indexers: { [INDEX_LABEL]: labelIndexFunc },
  filters: {},
});

export const roleBindingKind = defineKind<V1RoleBinding>({
  ...common,
  kind: 'RoleBinding',
  plural: 'rolebindings',
  namespaced: true,
  modelType: 'V1RoleBinding',
  list: (apis, namespace, options) =>
    namespace
      ? apis.rbac.listNamespacedRoleBinding({ namespace, ...options })
      : apis.rbac.listRoleBindingForAllNamespaces(options),
  get: (apis, namespace, name) => apis.rbac.readNamespacedRoleBinding({ namespace: namespace ?? '', name }),
  trim: (t, o) => trimBinding(t, o, 'RoleBinding'),
  indexers: {
    [INDEX_NAMESPACE]: namespaceIndexFunc,
    [INDEX_LABEL]: labelIndexFunc,
    [INDEX_SUBJECT]: subjectIndexFunc,
  },
  filters: {},
});

export const clusterRoleBindingKind = defineKind<V1ClusterRoleBinding>({
  ...common,
  kind: 'ClusterRoleBinding',
  plural: 'clusterrolebindings',
  namespaced: false,
  modelType: 'V1ClusterRoleBinding',
  list: (apis, _namespace, options) => apis.rbac.listClusterRoleBinding(options),
  get: (apis, _namespace, name) => apis.rbac.readClusterRoleBinding({ name }),
  trim: (t, o) => trimBinding(t, o, 'ClusterRoleBinding'),
  indexers: { [INDEX_LABEL]: labelIndexFunc, [INDEX_SUBJECT]: subjectIndexFunc },
  filters: {},
});
