/**
 * The gateway's RBAC compiler (src/kube/rbac.ts) on the examples of Kubernetes' RBAC
 * documentation (https://kubernetes.io/docs/reference/access-authn-authz/rbac/), over the
 * real indexed stores the informers fill. The oracle test (test/auth/) compares it with the
 * simulator's own authoriser, written separately, through SubjectAccessReview.
 */
import type { V1ClusterRole, V1ClusterRoleBinding, V1Role, V1RoleBinding } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { Indexer } from '../../src/kube/indexer.js';
import { KINDS } from '../../src/kube/kinds.js';
import {
  AccessSet,
  ALL_ACCESS,
  compileAccess,
  grantAllows,
  type RbacStores,
  resourceKeyOf,
} from '../../src/kube/rbac.js';

type Rule = { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[] };
type Subject = { kind: string; name: string; namespace?: string; apiGroup?: string };

function stores(objects: {
  roles?: V1Role[];
  clusterRoles?: V1ClusterRole[];
  roleBindings?: V1RoleBinding[];
  clusterRoleBindings?: V1ClusterRoleBinding[];
}): RbacStores {
  const fill = <T extends { metadata?: { name?: string; namespace?: string } }>(
    indexers: never,
    items: T[] = [],
  ) => {
    const store = new Indexer<T>(indexers);
    for (const item of items) store.add(item);
    return store;
  };
  return {
    roles: fill(KINDS.Role.indexers as never, objects.roles),
    clusterRoles: fill(KINDS.ClusterRole.indexers as never, objects.clusterRoles),
    roleBindings: fill(KINDS.RoleBinding.indexers as never, objects.roleBindings),
    clusterRoleBindings: fill(KINDS.ClusterRoleBinding.indexers as never, objects.clusterRoleBindings),
  };
}

const role = (namespace: string, name: string, rules: Rule[]): V1Role => ({
  metadata: { namespace, name },
  rules,
});
const clusterRole = (name: string, rules: Rule[]): V1ClusterRole => ({ metadata: { name }, rules });
const roleBinding = (
  namespace: string,
  name: string,
  roleRef: { kind: 'Role' | 'ClusterRole'; name: string },
  subjects: Subject[],
): V1RoleBinding => ({
  metadata: { namespace, name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
  subjects,
});
const clusterRoleBinding = (name: string, roleName: string, subjects: Subject[]): V1ClusterRoleBinding => ({
  metadata: { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
  subjects,
});
const user = (name: string): Subject => ({ kind: 'User', name, apiGroup: 'rbac.authorization.k8s.io' });
const group = (name: string): Subject => ({ kind: 'Group', name, apiGroup: 'rbac.authorization.k8s.io' });

const PODS = resourceKeyOf('Pod');
const NODES = resourceKeyOf('Node');
const JOBS = resourceKeyOf('Job');
const NAMESPACES = resourceKeyOf('Namespace');

/** The authoriser's question: may `verb` on `resource` in `namespace` (undefined: cluster scope), named `name`? */
function may(access: AccessSet, verb: string, resource: string, namespace?: string, name?: string): boolean {
  return grantAllows(access.grant(verb, resource), namespace, name);
}

describe('RBAC compiled as the API server decides', () => {
  it('Role pod-reader bound by RoleBinding read-pods lets jane read pods in default only', () => {
    const s = stores({
      roles: [
        role('default', 'pod-reader', [
          { apiGroups: [''], resources: ['pods'], verbs: ['get', 'watch', 'list'] },
        ]),
      ],
      roleBindings: [
        roleBinding('default', 'read-pods', { kind: 'Role', name: 'pod-reader' }, [user('jane')]),
      ],
    });
    const jane = compileAccess(s, { username: 'jane', groups: [] });
    for (const verb of ['get', 'list', 'watch']) expect(may(jane, verb, PODS, 'default')).toBe(true);
    expect(may(jane, 'list', PODS, 'kube-system')).toBe(false);
    expect(may(jane, 'list', PODS)).toBe(false); // across all namespaces needs a cluster-wide grant
    expect(may(jane, 'list', JOBS, 'default')).toBe(false);
    expect(may(jane, 'get', `${resourceKeyOf('Pod')}/log`, 'default')).toBe(false); // a subresource is not its resource
    const bob = compileAccess(s, { username: 'bob', groups: [] });
    expect(bob.any).toBe(false);
  });

  it('a RoleBinding to a ClusterRole grants only in the binding’s namespace (read-secrets in development)', () => {
    const s = stores({
      clusterRoles: [
        clusterRole('pod-viewer', [
          { apiGroups: [''], resources: ['pods'], verbs: ['get', 'watch', 'list'] },
        ]),
      ],
      roleBindings: [
        roleBinding('development', 'read-pods', { kind: 'ClusterRole', name: 'pod-viewer' }, [user('dave')]),
      ],
    });
    const dave = compileAccess(s, { username: 'dave', groups: [] });
    expect(may(dave, 'list', PODS, 'development')).toBe(true);
    expect(may(dave, 'list', PODS, 'default')).toBe(false);
    expect(may(dave, 'list', PODS)).toBe(false);
  });

  it('a ClusterRoleBinding to a group grants cluster-wide, cluster-scoped kinds included (read-nodes for manager)', () => {
    const s = stores({
      clusterRoles: [
        clusterRole('node-reader', [
          { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
        ]),
      ],
      clusterRoleBindings: [clusterRoleBinding('read-nodes-global', 'node-reader', [group('manager')])],
    });
    const m = compileAccess(s, { username: 'anyone', groups: ['manager'] });
    expect(may(m, 'list', NODES)).toBe(true);
    expect(may(m, 'get', NODES, undefined, 'node-1')).toBe(true);
    expect(compileAccess(s, { username: 'anyone', groups: ['other'] }).any).toBe(false);
  });

  it('a Role cannot grant cluster-scoped resources: nodes through a RoleBinding are never visible', () => {
    const s = stores({
      clusterRoles: [
        clusterRole('node-reader', [{ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }]),
      ],
      roleBindings: [
        roleBinding('default', 'nodes-in-ns', { kind: 'ClusterRole', name: 'node-reader' }, [user('eve')]),
      ],
    });
    expect(may(compileAccess(s, { username: 'eve', groups: [] }), 'list', NODES)).toBe(false);
  });

  it('resourceNames allow get of the named object only, never a list', () => {
    const s = stores({
      roles: [
        role('default', 'one-pod', [
          { apiGroups: [''], resources: ['pods'], resourceNames: ['my-pod'], verbs: ['get', 'update'] },
        ]),
      ],
      roleBindings: [roleBinding('default', 'one-pod', { kind: 'Role', name: 'one-pod' }, [user('ann')])],
    });
    const ann = compileAccess(s, { username: 'ann', groups: [] });
    expect(may(ann, 'get', PODS, 'default', 'my-pod')).toBe(true);
    expect(may(ann, 'get', PODS, 'default', 'other-pod')).toBe(false);
    expect(may(ann, 'get', PODS, 'kube-system', 'my-pod')).toBe(false);
    expect(may(ann, 'list', PODS, 'default')).toBe(false);
    expect(may(ann, 'get', PODS, 'default')).toBe(false);
  });

  it('subresources: "pods/log" grants logs, "*/log" too, "*" everything, "pods" not logs', () => {
    const s = stores({
      clusterRoles: [
        clusterRole('logs', [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }]),
        clusterRole('any-log', [{ apiGroups: [''], resources: ['*/log'], verbs: ['get'] }]),
      ],
      clusterRoleBindings: [
        clusterRoleBinding('logs', 'logs', [user('lia')]),
        clusterRoleBinding('any-log', 'any-log', [user('max')]),
      ],
    });
    const lia = compileAccess(s, { username: 'lia', groups: [] });
    expect(may(lia, 'get', `${PODS}/log`, 'ns')).toBe(true);
    const max = compileAccess(s, { username: 'max', groups: [] });
    expect(may(max, 'get', `${PODS}/log`, 'ns')).toBe(true);
    expect(may(max, 'get', PODS, 'ns')).toBe(false);
  });

  it('wildcards in verbs, apiGroups and resources; an API group must match', () => {
    const s = stores({
      clusterRoles: [
        clusterRole('everything', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
        clusterRole('wrong-group', [{ apiGroups: ['apps'], resources: ['jobs', 'pods'], verbs: ['*'] }]),
        clusterRole('batch', [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['list'] }]),
      ],
      clusterRoleBindings: [
        clusterRoleBinding('a', 'everything', [user('root')]),
        clusterRoleBinding('b', 'wrong-group', [user('apps')]),
        clusterRoleBinding('c', 'batch', [user('batch')]),
      ],
    });
    const root = compileAccess(s, { username: 'root', groups: [] });
    for (const r of [PODS, NODES, JOBS, NAMESPACES, `${PODS}/log`]) expect(may(root, 'watch', r)).toBe(true);
    expect(compileAccess(s, { username: 'apps', groups: [] }).any).toBe(false);
    const batch = compileAccess(s, { username: 'batch', groups: [] });
    expect(may(batch, 'list', JOBS)).toBe(true);
    expect(may(batch, 'watch', JOBS)).toBe(false);
  });

  it('service-account subjects: the binding’s namespace by default, the username and groups as the API server forms them', () => {
    const s = stores({
      clusterRoles: [clusterRole('view-pods', [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }])],
      roleBindings: [
        roleBinding('team', 'sa', { kind: 'ClusterRole', name: 'view-pods' }, [
          { kind: 'ServiceAccount', name: 'robot' },
        ]),
        roleBinding('other', 'all-sas', { kind: 'ClusterRole', name: 'view-pods' }, [
          group('system:serviceaccounts:team'),
        ]),
      ],
    });
    const robot = compileAccess(s, {
      username: 'system:serviceaccount:team:robot',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:team'],
    });
    expect(may(robot, 'list', PODS, 'team')).toBe(true);
    expect(may(robot, 'list', PODS, 'other')).toBe(true);
    const impostor = compileAccess(s, { username: 'robot', groups: [] });
    expect(impostor.any).toBe(false);
  });

  it('namespaces: a RoleBinding in a namespace grants that namespace itself (the request’s namespace is its name)', () => {
    const s = stores({
      clusterRoles: [
        clusterRole('ns-reader', [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list'] }]),
      ],
      roleBindings: [roleBinding('team-a', 'x', { kind: 'ClusterRole', name: 'ns-reader' }, [user('tia')])],
    });
    const tia = compileAccess(s, { username: 'tia', groups: [] });
    expect(may(tia, 'get', NAMESPACES, 'team-a', 'team-a')).toBe(true);
    expect(may(tia, 'list', NAMESPACES, 'team-a')).toBe(true);
    expect(may(tia, 'get', NAMESPACES, 'team-b', 'team-b')).toBe(false);
    expect(may(tia, 'list', NAMESPACES)).toBe(false);
  });

  it('everyone authenticated is in system:authenticated; system:masters may do everything', () => {
    const s = stores({
      clusterRoles: [
        clusterRole('ns-lister', [{ apiGroups: [''], resources: ['namespaces'], verbs: ['list'] }]),
      ],
      clusterRoleBindings: [clusterRoleBinding('all', 'ns-lister', [group('system:authenticated')])],
    });
    expect(may(compileAccess(s, { username: 'x', groups: [] }), 'list', NAMESPACES)).toBe(true);
    expect(compileAccess(s, { username: 'admin', groups: ['system:masters'] })).toBe(ALL_ACCESS);
  });

  it('reads only rules: an aggregated role grants what the controller wrote into its rules, not its selector', () => {
    const aggregated: V1ClusterRole = {
      metadata: { name: 'monitoring' },
      aggregationRule: {
        clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate-to-monitoring': 'true' } }],
      },
      rules: [],
    };
    const part = clusterRole('monitoring-endpoints', [
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    ]);
    part.metadata!.labels = { 'rbac.example.com/aggregate-to-monitoring': 'true' };
    const bindings = [clusterRoleBinding('m', 'monitoring', [user('mo')])];
    const before = compileAccess(
      stores({ clusterRoles: [aggregated, part], clusterRoleBindings: bindings }),
      {
        username: 'mo',
        groups: [],
      },
    );
    expect(before.any).toBe(false);
    const written = { ...aggregated, rules: part.rules };
    const after = compileAccess(stores({ clusterRoles: [written, part], clusterRoleBindings: bindings }), {
      username: 'mo',
      groups: [],
    });
    expect(may(after, 'list', PODS, 'any')).toBe(true);
  });

  it('a binding to a role that does not exist grants nothing; a deleted binding is gone from the next compile', () => {
    const s = stores({
      roleBindings: [roleBinding('default', 'dangling', { kind: 'Role', name: 'missing' }, [user('dan')])],
    });
    expect(compileAccess(s, { username: 'dan', groups: [] }).any).toBe(false);
  });

  it('equal rights have equal keys, whoever holds them; different rights never do', () => {
    const view = clusterRole('view', [
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    ]);
    const s = stores({
      clusterRoles: [view],
      roleBindings: [
        roleBinding('a', 'u1', { kind: 'ClusterRole', name: 'view' }, [user('u1'), group('g')]),
        roleBinding('b', 'u1b', { kind: 'ClusterRole', name: 'view' }, [user('u1')]),
        roleBinding('b', 'u2', { kind: 'ClusterRole', name: 'view' }, [user('u2')]),
      ],
    });
    const u1 = compileAccess(s, { username: 'u1', groups: [] });
    const viaGroup = compileAccess(s, { username: 'u3', groups: ['g'] });
    const u2 = compileAccess(s, { username: 'u2', groups: ['g'] });
    expect(u2.key).toBe(u1.key); // a and b, through a group and a user
    expect(viaGroup.key).not.toBe(u1.key); // a only
  });

  it('a user bound in 1,000 namespaces among 10,000 bindings compiles to exactly those namespaces', () => {
    const view = clusterRole('view', [
      {
        apiGroups: ['', 'batch'],
        resources: ['pods', 'jobs', 'namespaces'],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
    const roleBindings: V1RoleBinding[] = [];
    for (let i = 0; i < 10_000; i++)
      roleBindings.push(
        roleBinding(`ns-${i}`, 'b', { kind: 'ClusterRole', name: 'view' }, [
          user(i % 10 === 0 ? 'wide' : `u${i}`),
        ]),
      );
    const wide = compileAccess(stores({ clusterRoles: [view], roleBindings }), {
      username: 'wide',
      groups: [],
    });
    expect(wide.grant('list', PODS).namespaces.size).toBe(1000);
    expect(may(wide, 'list', PODS, 'ns-990')).toBe(true);
    expect(may(wide, 'list', PODS, 'ns-991')).toBe(false);
    expect(wide).toBeInstanceOf(AccessSet);
  });
});
