/**
 * The examples of Kubernetes' RBAC documentation
 * (https://kubernetes.io/docs/reference/access-authn-authz/rbac/), created as the page
 * writes them and asked about through SubjectAccessReviews over HTTPS (the simulator does
 * not serve secrets or configmaps, but a SAR may ask about any resource): each example
 * allows what the page says it allows, and nothing next to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { waitFor } from '../helpers/wait.js';
import { RBAC, RbacKit } from './rbac-kit.js';

let sim: Simulator;
let kit: RbacKit;

beforeAll(async () => {
  sim = await startSimulator({
    churnPerSecond: 0,
    jobStepMs: 3_600_000,
    nodeLeaseRenewMs: 0,
    scenario: { seed: 14, nodes: 1, pods: 0, jobs: 0, namespaces: 1 },
  });
  kit = new RbacKit(sim);
  for (const ns of ['development', 'qa', 'my-namespace']) await kit.namespace(ns);
});

afterAll(async () => {
  await sim?.close();
});

type Who = { user?: string; groups?: string[] };
const can = (
  who: Who,
  verb: string,
  resource: string,
  more: { namespace?: string; name?: string; group?: string; subresource?: string } = {},
) => kit.can(who, { verb, resource, ...more });
const canPath = async (who: Who, verb: string, path: string) =>
  (await kit.review({ ...who, nonResourceAttributes: { verb, path } })).allowed as boolean;

describe('Role and ClusterRole, RoleBinding and ClusterRoleBinding', () => {
  it('pod-reader, bound to jane in default by read-pods: jane reads pods in default, nothing else', async () => {
    await kit.role('default', 'pod-reader', [
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'watch', 'list'] },
    ]);
    await kit.roleBinding('default', 'read-pods', 'role:pod-reader', [{ user: 'jane' }]);
    const jane = { user: 'jane' };
    for (const verb of ['get', 'watch', 'list'])
      expect(await can(jane, verb, 'pods', { namespace: 'default' })).toBe(true);
    expect(await can(jane, 'delete', 'pods', { namespace: 'default' })).toBe(false);
    expect(await can(jane, 'list', 'pods', { namespace: 'development' })).toBe(false);
    expect(await can(jane, 'list', 'pods')).toBe(false); // all namespaces
    expect(await can(jane, 'get', 'secrets', { namespace: 'default' })).toBe(false);
    expect(await can({ user: 'Jane' }, 'get', 'pods', { namespace: 'default' })).toBe(false); // names are case sensitive
  });

  it('secret-reader bound to dave by a RoleBinding in development: secrets there only', async () => {
    await kit.clusterRole('secret-reader', [
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'watch', 'list'] },
    ]);
    await kit.roleBinding('development', 'read-secrets', 'secret-reader', [{ user: 'dave' }]);
    const dave = { user: 'dave' };
    expect(await can(dave, 'get', 'secrets', { namespace: 'development', name: 'db-password' })).toBe(true);
    expect(await can(dave, 'list', 'secrets', { namespace: 'development' })).toBe(true);
    expect(await can(dave, 'get', 'secrets', { namespace: 'default' })).toBe(false);
    expect(await can(dave, 'list', 'secrets')).toBe(false);
  });

  it('read-secrets-global binds secret-reader to the group manager in every namespace', async () => {
    await kit.clusterRoleBinding('read-secrets-global', 'secret-reader', [{ group: 'manager' }]);
    const manager = { user: 'mia', groups: ['manager'] };
    for (const namespace of ['default', 'development', 'qa']) {
      expect(await can(manager, 'get', 'secrets', { namespace })).toBe(true);
    }
    expect(await can(manager, 'list', 'secrets')).toBe(true); // kubectl get secrets --all-namespaces
    expect(await can({ user: 'mia' }, 'get', 'secrets', { namespace: 'default' })).toBe(false);
    expect(await can(manager, 'delete', 'secrets', { namespace: 'default' })).toBe(false);
  });

  it('a binding roleRef cannot change: a validation error', async () => {
    const res = await kit.answer('PATCH', `${RBAC}/namespaces/default/rolebindings/read-pods`, {
      body: { roleRef: { kind: 'ClusterRole', name: 'secret-reader' } },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(res.status).toBe(422);
    expect(res.body.message).toContain('roleRef: Invalid value');
  });
});

describe('referring to resources', () => {
  it('pod-and-pod-logs-reader: pods and their log subresource, not other subresources', async () => {
    await kit.role('default', 'pod-and-pod-logs-reader', [
      { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] },
    ]);
    await kit.roleBinding('default', 'logs', 'role:pod-and-pod-logs-reader', [{ user: 'logan' }]);
    const logan = { user: 'logan' };
    expect(await can(logan, 'get', 'pods', { namespace: 'default', name: 'web' })).toBe(true);
    expect(await can(logan, 'get', 'pods', { namespace: 'default', name: 'web', subresource: 'log' })).toBe(
      true,
    );
    expect(await can(logan, 'get', 'pods', { namespace: 'default', name: 'web', subresource: 'exec' })).toBe(
      false,
    );
    expect(await can(logan, 'watch', 'pods', { namespace: 'default' })).toBe(false);
    // Through the API as well: a pod's log is authorised as pods/log.
    sim.addUser({ token: 'logan', user: 'logan' });
    await kit.pod('default', 'web');
    expect(
      (await kit.answer('GET', '/api/v1/namespaces/default/pods/web/log', { token: 'logan' })).status,
    ).toBe(400); // allowed; the pod is not scheduled, so it has no log yet
    expect(
      (await kit.answer('GET', '/api/v1/namespaces/default/pods/web/exec', { token: 'logan' })).status,
    ).toBe(403);
  });

  it('configmap-updater: get and update my-configmap only; list is not allowed by a rule with resourceNames', async () => {
    await kit.role('default', 'configmap-updater', [
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['my-configmap'],
        verbs: ['update', 'get'],
      },
    ]);
    await kit.roleBinding('default', 'cm', 'role:configmap-updater', [{ user: 'cora' }]);
    const cora = { user: 'cora' };
    expect(await can(cora, 'get', 'configmaps', { namespace: 'default', name: 'my-configmap' })).toBe(true);
    expect(await can(cora, 'update', 'configmaps', { namespace: 'default', name: 'my-configmap' })).toBe(
      true,
    );
    expect(await can(cora, 'get', 'configmaps', { namespace: 'default', name: 'other' })).toBe(false);
    expect(await can(cora, 'delete', 'configmaps', { namespace: 'default', name: 'my-configmap' })).toBe(
      false,
    );
    for (const verb of ['list', 'watch', 'create', 'deletecollection']) {
      expect(await can(cora, verb, 'configmaps', { namespace: 'default' }), verb).toBe(false);
    }
  });

  it('example.com-superuser: every verb on every resource of example.com, nothing of other groups', async () => {
    await kit.role('default', 'example.com-superuser', [
      { apiGroups: ['example.com'], resources: ['*'], verbs: ['*'] },
    ]);
    await kit.roleBinding('default', 'superuser', 'role:example.com-superuser', [{ user: 'sue' }]);
    const sue = { user: 'sue' };
    expect(
      await can(sue, 'deletecollection', 'widgets', { namespace: 'default', group: 'example.com' }),
    ).toBe(true);
    expect(
      await can(sue, 'frobnicate', 'gadgets', {
        namespace: 'default',
        group: 'example.com',
        subresource: 'status',
      }),
    ).toBe(true);
    expect(await can(sue, 'get', 'pods', { namespace: 'default' })).toBe(false);
    expect(await can(sue, 'get', 'widgets', { namespace: 'qa', group: 'example.com' })).toBe(false);
  });
});

describe('aggregated ClusterRoles', () => {
  it('monitoring gets the rules of monitoring-endpointslices, filled in by the control plane', async () => {
    await kit.create(`${RBAC}/clusterroles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'monitoring' },
      aggregationRule: {
        clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate-to-monitoring': 'true' } }],
      },
      rules: [],
    });
    await kit.clusterRoleBinding('monitoring', 'monitoring', [{ group: 'monitors' }]);
    const monitor = { user: 'moe', groups: ['monitors'] };
    expect(await can(monitor, 'list', 'endpointslices', { group: 'discovery.k8s.io' })).toBe(false);
    await kit.clusterRole(
      'monitoring-endpointslices',
      [
        { apiGroups: [''], resources: ['services', 'pods'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
      ],
      { 'rbac.example.com/aggregate-to-monitoring': 'true' },
    );
    await waitFor(
      () => can(monitor, 'list', 'endpointslices', { group: 'discovery.k8s.io' }),
      'monitoring to aggregate',
    );
    expect(await can(monitor, 'watch', 'services', { namespace: 'qa' })).toBe(true);
    expect(await can(monitor, 'get', 'pods')).toBe(true);
    expect(await can(monitor, 'delete', 'pods', { namespace: 'qa' })).toBe(false);
    expect(await can(monitor, 'list', 'endpointslices')).toBe(false); // core group: not granted
  });

  it('aggregate-cron-tabs-edit and -view extend admin, edit and view with CronTabs', async () => {
    await kit.clusterRole(
      'aggregate-cron-tabs-edit',
      [
        {
          apiGroups: ['stable.example.com'],
          resources: ['crontabs'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
      ],
      {
        'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
        'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
      },
    );
    await kit.clusterRole(
      'aggregate-cron-tabs-view',
      [{ apiGroups: ['stable.example.com'], resources: ['crontabs'], verbs: ['get', 'list', 'watch'] }],
      {
        'rbac.authorization.k8s.io/aggregate-to-view': 'true',
      },
    );
    await kit.roleBinding('qa', 'qa-admin', 'admin', [{ user: 'ada' }]);
    await kit.roleBinding('qa', 'qa-edit', 'edit', [{ user: 'eddie' }]);
    await kit.roleBinding('qa', 'qa-view', 'view', [{ user: 'vic' }]);
    const crontabs = { namespace: 'qa', group: 'stable.example.com' };
    await waitFor(() => can({ user: 'vic' }, 'list', 'crontabs', crontabs), 'view to aggregate crontabs');
    expect(await can({ user: 'ada' }, 'delete', 'crontabs', crontabs)).toBe(true);
    expect(await can({ user: 'eddie' }, 'create', 'crontabs', crontabs)).toBe(true);
    expect(await can({ user: 'vic' }, 'create', 'crontabs', crontabs)).toBe(false);
  });
});

describe('the rule examples', () => {
  it('nodes in a ClusterRole take effect through a ClusterRoleBinding only', async () => {
    await kit.clusterRole('node-reader', [
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
    ]);
    await kit.roleBinding('default', 'nodes-in-default', 'node-reader', [{ user: 'nina' }]);
    expect(await can({ user: 'nina' }, 'list', 'nodes')).toBe(false);
    await kit.clusterRoleBinding('nodes', 'node-reader', [{ user: 'nina' }]);
    expect(await can({ user: 'nina' }, 'list', 'nodes')).toBe(true);
    expect(await can({ user: 'nina' }, 'delete', 'nodes', { name: 'node-1' })).toBe(false);
  });

  it('GET and POST to /healthz and all subpaths', async () => {
    await kit.clusterRole('healthz', [
      { nonResourceURLs: ['/healthz', '/healthz/*'], verbs: ['get', 'post'] },
    ]);
    await kit.clusterRoleBinding('healthz', 'healthz', [{ user: 'hal' }]);
    const hal = { user: 'hal' };
    expect(await canPath(hal, 'get', '/healthz')).toBe(true);
    expect(await canPath(hal, 'post', '/healthz')).toBe(true);
    expect(await canPath(hal, 'get', '/healthz/etcd')).toBe(true);
    expect(await canPath(hal, 'post', '/healthz/poststarthook/rbac')).toBe(true);
    expect(await canPath(hal, 'put', '/healthz')).toBe(false);
    expect(await canPath(hal, 'get', '/healthzz')).toBe(false);
    expect(await canPath(hal, 'get', '/metrics')).toBe(false);
  });
});

describe('referring to subjects', () => {
  it('users, groups, service accounts, all service accounts of a namespace or anywhere, all users', async () => {
    const pods = (namespace: string) => ({ namespace });
    await kit.roleBinding('development', 'email-user', 'view', [{ user: 'alice@example.com' }]);
    await kit.roleBinding('development', 'frontend', 'view', [{ group: 'frontend-admins' }]);
    await kit.roleBinding('development', 'kube-system-default', 'view', [
      { serviceAccount: 'default', namespace: 'kube-system' },
    ]);
    await kit.roleBinding('development', 'qa-sas', 'view', [{ group: 'system:serviceaccounts:qa' }]);
    await kit.roleBinding('my-namespace', 'all-sas', 'view', [{ group: 'system:serviceaccounts' }]);
    await kit.roleBinding('qa', 'everyone', 'view', [
      { group: 'system:authenticated' },
      { group: 'system:unauthenticated' },
    ]);
    const sa = (ns: string, name: string) => ({
      user: `system:serviceaccount:${ns}:${name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
    });

    expect(await can({ user: 'alice@example.com' }, 'get', 'pods', pods('development'))).toBe(true);
    expect(await can({ user: 'alice' }, 'get', 'pods', pods('development'))).toBe(false);
    expect(await can({ user: 'fay', groups: ['frontend-admins'] }, 'get', 'pods', pods('development'))).toBe(
      true,
    );
    expect(await can(sa('kube-system', 'default'), 'get', 'pods', pods('development'))).toBe(true);
    expect(await can(sa('kube-system', 'other'), 'get', 'pods', pods('development'))).toBe(false);
    expect(await can(sa('qa', 'anyone'), 'get', 'pods', pods('development'))).toBe(true);
    expect(await can(sa('default', 'anyone'), 'get', 'pods', pods('development'))).toBe(false);
    expect(await can(sa('default', 'anyone'), 'get', 'pods', pods('my-namespace'))).toBe(true);
    expect(
      await can({ user: 'not-a-sa', groups: ['system:authenticated'] }, 'get', 'pods', pods('my-namespace')),
    ).toBe(false);
    expect(await can({ user: 'someone', groups: ['system:authenticated'] }, 'get', 'pods', pods('qa'))).toBe(
      true,
    );
    expect(
      await can({ user: 'system:anonymous', groups: ['system:unauthenticated'] }, 'get', 'pods', pods('qa')),
    ).toBe(true);
    // And over the API, an anonymous request reads pods in qa.
    expect((await kit.answer('GET', '/api/v1/namespaces/qa/pods', { token: null })).status).toBe(200);
    expect((await kit.answer('GET', '/api/v1/namespaces/development/pods', { token: null })).status).toBe(
      403,
    );
  });

  it('the service account examples of kubectl create rolebinding', async () => {
    // kubectl create rolebinding my-sa-view --clusterrole=view --serviceaccount=my-namespace:my-sa --namespace=my-namespace
    await kit.roleBinding('my-namespace', 'my-sa-view', 'view', [
      { serviceAccount: 'my-sa', namespace: 'my-namespace' },
    ]);
    const mySa = { user: 'system:serviceaccount:my-namespace:my-sa' };
    expect(await can(mySa, 'list', 'pods', { namespace: 'my-namespace' })).toBe(true);
    expect(await can(mySa, 'list', 'pods', { namespace: 'qa' })).toBe(false);
    // kubectl create clusterrolebinding serviceaccounts-view --clusterrole=view --group=system:serviceaccounts
    await kit.clusterRoleBinding('serviceaccounts-view', 'view', [{ group: 'system:serviceaccounts' }]);
    expect(
      await can({ user: 'system:serviceaccount:x:y', groups: ['system:serviceaccounts'] }, 'list', 'pods'),
    ).toBe(true);
    expect(await can({ user: 'x', groups: ['system:serviceaccounts:x'] }, 'list', 'pods')).toBe(false);
  });
});
