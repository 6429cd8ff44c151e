/**
 * Every request of a user outside system:masters is authorised by RBAC as kube-apiserver's
 * RBAC authoriser decides, over real HTTPS: RoleBindings grant in their namespace only,
 * ClusterRoleBindings everywhere; verbs, groups, resources, subresources (`pods/log`,
 * `*\/scale`), resourceNames (with a list's `metadata.name` field selector), the namespace
 * of a `namespaces` request, User/Group/ServiceAccount subjects, non-resource paths; the 403
 * Status as a real server words it; escalation prevention on RBAC writes; and bindings
 * indexed so that 10,000 RoleBindings of others cost a decision nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceAccountIdentity } from '../../src/simulator/rbac/service-accounts.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import type { KubeObject } from '../../src/simulator/types.js';
import { RBAC, RbacKit } from './rbac-kit.js';

let sim: Simulator;
let kit: RbacKit;
const ROBOT = serviceAccountIdentity('team-a', 'robot');

beforeAll(async () => {
  sim = await startSimulator({
    churnPerSecond: 0,
    jobStepMs: 3_600_000,
    nodeLeaseRenewMs: 0,
    scenario: { seed: 11, nodes: 2, pods: 6, jobs: 0, namespaces: 1 },
    users: [
      { token: 'alice', user: 'alice', groups: ['devs'] },
      { token: 'bob', user: 'bob' },
      { token: 'carol', user: 'carol' },
      // Never granted anything.
      { token: 'frank', user: 'frank' },
      { token: 'robot', ...ROBOT },
      { token: 'other-robot', ...serviceAccountIdentity('team-b', 'robot') },
    ],
  });
  kit = new RbacKit(sim);
  for (const ns of ['team-a', 'team-b']) {
    await kit.namespace(ns);
    await kit.pod(ns, 'web');
    await kit.pod(ns, 'allowed-pod');
  }
  await kit.roleBinding('team-a', 'alice-view', 'view', [{ user: 'alice' }]);
});

afterAll(async () => {
  await sim?.close();
});

const forbidden = (message: string, details: Record<string, string>) => ({
  status: 403,
  body: {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    reason: 'Forbidden',
    code: 403,
    message,
    details,
  },
});

describe('namespaced and cluster-wide bindings', () => {
  it('a RoleBinding to a ClusterRole grants in its namespace only, with the real 403 elsewhere', async () => {
    expect((await kit.answer('GET', '/api/v1/namespaces/team-a/pods', { token: 'alice' })).status).toBe(200);
    expect((await kit.answer('GET', '/api/v1/namespaces/team-a/pods/web', { token: 'alice' })).status).toBe(
      200,
    );
    expect(await kit.answer('GET', '/api/v1/namespaces/team-b/pods', { token: 'alice' })).toEqual(
      forbidden(
        'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "team-b"',
        {
          kind: 'pods',
        },
      ),
    );
    expect(await kit.answer('GET', '/api/v1/namespaces/team-b/pods/web', { token: 'alice' })).toEqual(
      forbidden(
        'pods "web" is forbidden: User "alice" cannot get resource "pods" in API group "" in the namespace "team-b"',
        {
          name: 'web',
          kind: 'pods',
        },
      ),
    );
    expect(await kit.answer('GET', '/api/v1/pods', { token: 'alice' })).toEqual(
      forbidden(
        'pods is forbidden: User "alice" cannot list resource "pods" in API group "" at the cluster scope',
        {
          kind: 'pods',
        },
      ),
    );
    // view has no write verbs.
    expect(await kit.answer('DELETE', '/api/v1/namespaces/team-a/pods/web', { token: 'alice' })).toEqual(
      forbidden(
        'pods "web" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "team-a"',
        {
          name: 'web',
          kind: 'pods',
        },
      ),
    );
    expect(await kit.answer('GET', '/apis/batch/v1/namespaces/team-b/jobs', { token: 'alice' })).toEqual(
      forbidden(
        'jobs.batch is forbidden: User "alice" cannot list resource "jobs" in API group "batch" in the namespace "team-b"',
        { group: 'batch', kind: 'jobs' },
      ),
    );
  });

  it('a namespace request is in the namespace it names: get team-a yes, team-b and the list no', async () => {
    expect((await kit.answer('GET', '/api/v1/namespaces/team-a', { token: 'alice' })).status).toBe(200);
    expect(await kit.answer('GET', '/api/v1/namespaces/team-b', { token: 'alice' })).toEqual(
      forbidden(
        'namespaces "team-b" is forbidden: User "alice" cannot get resource "namespaces" in API group "" in the namespace "team-b"',
        { name: 'team-b', kind: 'namespaces' },
      ),
    );
    expect((await kit.answer('GET', '/api/v1/namespaces', { token: 'alice' })).status).toBe(403);
  });

  it('a ClusterRoleBinding grants in every namespace and at the cluster scope; groups bind too', async () => {
    await kit.clusterRole('node-reader', [
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
    ]);
    await kit.clusterRoleBinding('devs-read-nodes', 'node-reader', [{ group: 'devs' }]);
    expect((await kit.answer('GET', '/api/v1/nodes', { token: 'alice' })).status).toBe(200);
    expect((await kit.answer('GET', '/api/v1/nodes', { token: 'bob' })).status).toBe(403);
    // A RoleBinding cannot grant a cluster-scoped resource.
    await kit.roleBinding('team-a', 'bob-nodes', 'node-reader', [{ user: 'bob' }]);
    expect((await kit.answer('GET', '/api/v1/nodes', { token: 'bob' })).status).toBe(403);
  });

  it('a binding to a missing role says so in the 403', async () => {
    await kit.roleBinding('team-a', 'carol-nope', 'no-such-role', [{ user: 'carol' }]);
    await kit.roleBinding('team-a', 'carol-nope-role', 'role:no-such-role', [{ user: 'carol' }]);
    const { status, body } = await kit.answer('GET', '/api/v1/namespaces/team-a/pods', { token: 'carol' });
    expect(status).toBe(403);
    expect(body.message).toBe(
      'pods is forbidden: User "carol" cannot list resource "pods" in API group "" in the namespace "team-a": RBAC: [clusterrole.rbac.authorization.k8s.io "no-such-role" not found, role.rbac.authorization.k8s.io "no-such-role" not found]',
    );
  });
});

describe('rules', () => {
  it('verbs, groups and resources as wildcards', async () => {
    await kit.role('team-b', 'everything', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]);
    await kit.roleBinding('team-b', 'bob-everything', 'role:everything', [{ user: 'bob' }]);
    expect((await kit.answer('GET', '/apis/batch/v1/namespaces/team-b/jobs', { token: 'bob' })).status).toBe(
      200,
    );
    expect((await kit.answer('DELETE', '/api/v1/namespaces/team-b/pods/web', { token: 'bob' })).status).toBe(
      200,
    );
    // Authorised before routing: a resource the simulator does not serve is 404, not 403.
    expect(
      (await kit.answer('GET', '/apis/apps/v1/namespaces/team-b/deployments', { token: 'bob' })).status,
    ).toBe(404);
    expect(
      await kit.answer('GET', '/apis/apps/v1/namespaces/team-b/deployments', { token: 'carol' }),
    ).toEqual(
      forbidden(
        'deployments.apps is forbidden: User "carol" cannot list resource "deployments" in API group "apps" in the namespace "team-b"',
        { group: 'apps', kind: 'deployments' },
      ),
    );
  });

  it('subresources: pods/status and pods/log exactly, */scale for any resource, never pods for pods/log', async () => {
    await kit.role('team-a', 'logs', [
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      { apiGroups: ['*'], resources: ['*/scale'], verbs: ['get', 'update'] },
    ]);
    await kit.roleBinding('team-a', 'bob-logs', 'role:logs', [{ user: 'bob' }]);
    // Allowed, then answered as a cluster answers a pod whose container has not started yet
    // (the scheduler binds it, the kubelet is still creating it): 400, not 403.
    const log = await kit.answer('GET', '/api/v1/namespaces/team-a/pods/web/log', { token: 'bob' });
    expect(log.status).toBe(400);
    expect(log.body.message).toMatch(
      /^(pod web does not have a host assigned|container "c" in pod "web" is waiting to start: ContainerCreating)$/,
    );
    // view grants pods but not pods/log's sibling pods/exec; pods alone never covers a subresource.
    expect(await kit.answer('GET', '/api/v1/namespaces/team-a/pods/web/exec', { token: 'alice' })).toEqual(
      forbidden(
        'pods "web" is forbidden: User "alice" cannot get resource "pods/exec" in API group "" in the namespace "team-a"',
        {
          name: 'web',
          kind: 'pods',
        },
      ),
    );
    expect(
      (await kit.answer('GET', '/api/v1/namespaces/team-a/pods/web/status', { token: 'alice' })).status,
    ).toBe(200);
    expect(await kit.answer('GET', '/api/v1/namespaces/team-a/pods/web/log', { token: 'frank' })).toEqual(
      forbidden(
        'pods "web" is forbidden: User "frank" cannot get resource "pods/log" in API group "" in the namespace "team-a"',
        {
          name: 'web',
          kind: 'pods',
        },
      ),
    );
    expect(
      await kit.can(
        { user: 'bob' },
        { verb: 'update', group: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'team-a' },
      ),
    ).toBe(true);
    expect(
      await kit.can(
        { user: 'bob' },
        { verb: 'get', group: 'apps', resource: 'deployments', namespace: 'team-a' },
      ),
    ).toBe(false);
    expect(
      await kit.can(
        { user: 'bob' },
        { verb: 'get', resource: 'pods', subresource: 'status', namespace: 'team-a' },
      ),
    ).toBe(false);
    // pods/eviction is a create on the subresource.
    expect(
      await kit.answer('POST', '/api/v1/namespaces/team-a/pods/web/eviction', { token: 'alice', body: {} }),
    ).toEqual(
      forbidden(
        'pods "web" is forbidden: User "alice" cannot create resource "pods/eviction" in API group "" in the namespace "team-a"',
        { name: 'web', kind: 'pods' },
      ),
    );
  });

  it('resourceNames: get by name, and list or watch only with a metadata.name field selector', async () => {
    await kit.role('team-b', 'one-pod', [
      {
        apiGroups: [''],
        resources: ['pods'],
        resourceNames: ['allowed-pod'],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
    await kit.roleBinding('team-b', 'carol-one-pod', 'role:one-pod', [{ user: 'carol' }]);
    expect(
      (await kit.answer('GET', '/api/v1/namespaces/team-b/pods/allowed-pod', { token: 'carol' })).status,
    ).toBe(200);
    expect((await kit.answer('GET', '/api/v1/namespaces/team-b/pods/web', { token: 'carol' })).status).toBe(
      403,
    );
    expect((await kit.answer('GET', '/api/v1/namespaces/team-b/pods', { token: 'carol' })).status).toBe(403);
    const byName = await kit.answer(
      'GET',
      '/api/v1/namespaces/team-b/pods?fieldSelector=metadata.name%3Dallowed-pod',
      {
        token: 'carol',
      },
    );
    expect(byName.status).toBe(200);
    expect(byName.body.items.map((p: KubeObject) => p.metadata.name)).toEqual(['allowed-pod']);
    const other = await kit.answer(
      'GET',
      '/api/v1/namespaces/team-b/pods?fieldSelector=metadata.name%3Dweb',
      { token: 'carol' },
    );
    expect(other).toEqual(
      forbidden(
        'pods "web" is forbidden: User "carol" cannot list resource "pods" in API group "" in the namespace "team-b"',
        {
          name: 'web',
          kind: 'pods',
        },
      ),
    );
    const watch = await kit.request(
      'GET',
      `/api/v1/namespaces/team-b/pods?watch=1&fieldSelector=metadata.name%3Dallowed-pod&timeoutSeconds=1`,
      { token: 'carol' },
    );
    expect(watch.status).toBe(200);
    await watch.body?.cancel();
  });

  it('service account subjects: by namespace, defaulted to the binding namespace, and their groups', async () => {
    await kit.role('team-a', 'job-reader', [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['list'] }]);
    await kit.roleBinding('team-a', 'robot-jobs', 'role:job-reader', [{ serviceAccount: 'robot' }]);
    expect(
      (await kit.answer('GET', '/apis/batch/v1/namespaces/team-a/jobs', { token: 'robot' })).status,
    ).toBe(200);
    // Another namespace's robot is another user.
    expect(
      (await kit.answer('GET', '/apis/batch/v1/namespaces/team-a/jobs', { token: 'other-robot' })).status,
    ).toBe(403);
    await kit.clusterRoleBinding('all-team-b-sas-view', 'view', [{ group: 'system:serviceaccounts:team-b' }]);
    expect((await kit.answer('GET', '/api/v1/namespaces/team-b/pods', { token: 'other-robot' })).status).toBe(
      200,
    );
    expect((await kit.answer('GET', '/api/v1/namespaces/team-b/pods', { token: 'robot' })).status).toBe(403);
    await kit.clusterRoleBinding('robot-nodes', 'node-reader', [
      { serviceAccount: 'robot', namespace: 'team-a' },
    ]);
    expect((await kit.answer('GET', '/api/v1/nodes', { token: 'robot' })).status).toBe(200);
  });

  it('non-resource paths: discovery for the authenticated, /healthz for everyone, other verbs and paths refused', async () => {
    for (const path of ['/api', '/apis', '/api/v1', '/apis/batch/v1', '/version']) {
      expect((await kit.answer('GET', path, { token: 'carol' })).status, path).toBe(200);
    }
    expect(await kit.answer('POST', '/healthz', { token: 'carol' })).toEqual(
      forbidden('forbidden: User "carol" cannot post path "/healthz"', {}),
    );
    expect(await kit.answer('GET', '/logs', { token: 'carol' })).toEqual(
      forbidden('forbidden: User "carol" cannot get path "/logs"', {}),
    );
    // Allowed by system:discovery (/openapi/*) to the authenticated only.
    expect((await kit.answer('GET', '/openapi/v2', { token: 'carol' })).status).toBe(200);
    expect((await kit.answer('GET', '/openapi/v2', { token: null })).status).toBe(403);
    await kit.clusterRole('healthz-checker', [
      { nonResourceURLs: ['/healthz', '/healthz/*'], verbs: ['get', 'post'] },
    ]);
    await kit.clusterRoleBinding('carol-healthz', 'healthz-checker', [{ user: 'carol' }]);
    expect((await kit.answer('POST', '/healthz', { token: 'carol' })).status).toBe(200);
    expect((await kit.answer('GET', '/healthz/etcd', { token: 'carol' })).status).toBe(404);
    expect((await kit.answer('GET', '/healthz/etcd', { token: 'bob' })).status).toBe(403);
  });

  it('the faults endpoint needs system:masters', async () => {
    const res = await kit.answer('POST', '/simulator/faults', { token: 'bob', body: { latencyMs: 0 } });
    expect(res.status).toBe(403);
    expect(res.body.message).toBe(
      'User "bob" may not change the simulator\'s faults: a user in group "system:masters" is required',
    );
  });
});

describe('escalation prevention on RBAC writes', () => {
  beforeAll(async () => {
    await kit.namespace('team-c');
    await kit.roleBinding('team-c', 'dana-admin', 'admin', [{ user: 'dana' }]);
    sim.addUser({ token: 'dana', user: 'dana', groups: ['leads'] });
  });

  it('lets an admin of a namespace grant what it holds there, and no more', async () => {
    const path = `${RBAC}/namespaces/team-c/roles`;
    const rules = (verbs: string[], resources: string[]) => [{ apiGroups: [''], resources, verbs }];
    const ok = await kit.answer('POST', path, {
      token: 'dana',
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'pods-ok' },
        rules: rules(['get', 'list'], ['pods']),
      },
    });
    expect(ok.status).toBe(201);
    const tooMuch = await kit.answer('POST', path, {
      token: 'dana',
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'too-much' },
        rules: [
          ...rules(['get', 'list'], ['nodes', 'pods']),
          { apiGroups: ['batch'], resources: ['jobs'], verbs: ['escalate'] },
        ],
      },
    });
    expect(tooMuch).toEqual({
      status: 403,
      body: expect.objectContaining({
        reason: 'Forbidden',
        message:
          'roles.rbac.authorization.k8s.io "too-much" is forbidden: user "dana" (groups=["leads" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
          '{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}\n' +
          '{APIGroups:["batch"], Resources:["jobs"], Verbs:["escalate"]}',
        details: { name: 'too-much', group: 'rbac.authorization.k8s.io', kind: 'roles' },
      }),
    });
    expect(sim.store.get('roles', 'team-c', 'too-much')).toBeUndefined();
  });

  it('refuses a binding to a role with more than the writer holds, unless it may bind that role', async () => {
    const body = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'give-node-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'node-reader' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'erin' }],
    };
    const path = `${RBAC}/namespaces/team-c/rolebindings`;
    const refused = await kit.answer('POST', path, { token: 'dana', body });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(
      'rolebindings.rbac.authorization.k8s.io "give-node-reader" is forbidden: user "dana" (groups=["leads" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list" "watch"]}',
    );
    // Binding view, which admin holds, is fine; a missing role is refused with its own reason.
    expect(
      (
        await kit.answer('POST', path, {
          token: 'dana',
          body: { ...body, metadata: { name: 'give-view' }, roleRef: { ...body.roleRef, name: 'view' } },
        })
      ).status,
    ).toBe(201);
    const missing = await kit.answer('POST', path, {
      token: 'dana',
      body: { ...body, metadata: { name: 'give-nothing' }, roleRef: { ...body.roleRef, name: 'nope' } },
    });
    expect(missing.body.message).toBe(
      'rolebindings.rbac.authorization.k8s.io "give-nothing" is forbidden: clusterrole.rbac.authorization.k8s.io "nope" not found',
    );
    // The verb bind on that ClusterRole lets the binding through.
    await kit.clusterRole('bind-node-reader', [
      {
        apiGroups: ['rbac.authorization.k8s.io'],
        resources: ['clusterroles'],
        resourceNames: ['node-reader'],
        verbs: ['bind'],
      },
    ]);
    await kit.clusterRoleBinding('leads-bind-node-reader', 'bind-node-reader', [{ group: 'leads' }]);
    expect((await kit.answer('POST', path, { token: 'dana', body })).status).toBe(201);
  });

  it('asks for every permission to write an aggregationRule, and lets the verb escalate through', async () => {
    await kit.clusterRole('clusterrole-writer', [
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['create'] },
    ]);
    await kit.clusterRoleBinding('dana-clusterrole-writer', 'clusterrole-writer', [{ user: 'dana' }]);
    const aggregated = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'dana-aggregate' },
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'dana/aggregate': 'true' } }] },
    };
    const refused = await kit.answer('POST', `${RBAC}/clusterroles`, { token: 'dana', body: aggregated });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(
      'clusterroles.rbac.authorization.k8s.io "dana-aggregate" is forbidden: must have cluster-admin privileges to use the aggregationRule',
    );
    const nodes = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'dana-nodes' },
      rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['delete'] }],
    };
    expect((await kit.answer('POST', `${RBAC}/clusterroles`, { token: 'dana', body: nodes })).status).toBe(
      403,
    );
    await kit.clusterRole('escalator', [
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['escalate'] },
    ]);
    await kit.clusterRoleBinding('dana-escalator', 'escalator', [{ user: 'dana' }]);
    expect((await kit.answer('POST', `${RBAC}/clusterroles`, { token: 'dana', body: nodes })).status).toBe(
      201,
    );
    expect(
      (await kit.answer('POST', `${RBAC}/clusterroles`, { token: 'dana', body: aggregated })).status,
    ).toBe(201);
  });
});

describe('the binding index', () => {
  it('decides for a user among 10,000 RoleBindings of others by looking at the user own bindings only', async () => {
    await kit.namespace('crowded');
    // Written through the store: 10,000 POSTs would be this test's whole time budget.
    for (let i = 0; i < 10_000; i++) {
      sim.store.create('rolebindings', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: `rb-${i}`, namespace: 'crowded' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: `user-${i}` }],
      });
    }
    await kit.roleBinding('crowded', 'alice-edit', 'edit', [{ user: 'alice' }]);
    const before = sim.access.rbac.examined;
    const asks = 200;
    for (let i = 0; i < asks; i++) {
      expect(
        await kit.can(
          { user: 'alice', groups: ['devs'] },
          { verb: 'delete', resource: 'pods', namespace: 'crowded', name: `p-${i}` },
        ),
      ).toBe(true);
    }
    // Each decision looked at alice's ClusterRoleBinding (devs) and her one RoleBinding there.
    expect(sim.access.rbac.examined - before).toBeLessThanOrEqual(asks * 2);
    expect(
      await kit.can({ user: 'user-9999' }, { verb: 'list', resource: 'pods', namespace: 'crowded' }),
    ).toBe(true);
    expect(
      await kit.can({ user: 'user-9999' }, { verb: 'delete', resource: 'pods', namespace: 'crowded' }),
    ).toBe(false);
    expect(
      await kit.can({ user: 'user-10000' }, { verb: 'list', resource: 'pods', namespace: 'crowded' }),
    ).toBe(false);
    // Changes reach the index: a subject removed is a grant removed.
    await kit.request('PATCH', `${RBAC}/namespaces/crowded/rolebindings/rb-9999`, {
      body: { subjects: [] },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(
      await kit.can({ user: 'user-9999' }, { verb: 'list', resource: 'pods', namespace: 'crowded' }),
    ).toBe(false);
  });
});
