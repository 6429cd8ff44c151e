/**
 * Who a request is, and the review APIs that say who and what, over real HTTPS:
 * impersonation (users, groups, service accounts, uids, extras, each authorised as the verb
 * `impersonate`, with kube-apiserver's refusals), TokenReview, SelfSubjectReview (v1, v1beta1,
 * v1alpha1), SubjectAccessReview, LocalSubjectAccessReview, SelfSubjectAccessReview and
 * SelfSubjectRulesReview, each needing the verb `create` on it like any other request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_AUDIENCES } from '../../src/simulator/rbac/reviews.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { RbacKit } from './rbac-kit.js';
import type { AnyJson } from './sim-kit.js';

let sim: Simulator;
let kit: RbacKit;
const AUTHN = '/apis/authentication.k8s.io';
const AUTHZ = '/apis/authorization.k8s.io/v1';

beforeAll(async () => {
  sim = await startSimulator({
    churnPerSecond: 0,
    jobStepMs: 3_600_000,
    nodeLeaseRenewMs: 0,
    scenario: { seed: 12, nodes: 1, pods: 3, jobs: 0, namespaces: 1 },
    users: [
      { token: 'alice', user: 'alice', uid: 'uid-alice', groups: ['devs'] },
      { token: 'imp', user: 'imp' },
      { token: 'gateway', user: 'gateway' },
    ],
  });
  kit = new RbacKit(sim);
  await kit.namespace('team-a');
  await kit.roleBinding('team-a', 'alice-view', 'view', [{ user: 'alice' }]);
  // imp may impersonate alice (only), the group devs, service accounts of team-a, uids and the scopes extra.
  await kit.clusterRole('impersonate-some', [
    { apiGroups: [''], resources: ['users'], resourceNames: ['alice'], verbs: ['impersonate'] },
    { apiGroups: [''], resources: ['groups'], resourceNames: ['devs'], verbs: ['impersonate'] },
    { apiGroups: ['authentication.k8s.io'], resources: ['uids'], verbs: ['impersonate'] },
    { apiGroups: ['authentication.k8s.io'], resources: ['userextras/scopes'], verbs: ['impersonate'] },
  ]);
  await kit.clusterRoleBinding('imp-impersonates', 'impersonate-some', [{ user: 'imp' }]);
  await kit.role('team-a', 'impersonate-sas', [
    { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
  ]);
  await kit.roleBinding('team-a', 'imp-sas', 'role:impersonate-sas', [{ user: 'imp' }]);
});

afterAll(async () => {
  await sim?.close();
});

/** Who the server says the caller is (a SelfSubjectReview). */
async function whoami(
  token: string | undefined,
  headers: Record<string, string> = {},
  version = 'v1',
): Promise<AnyJson> {
  const { status, body } = await kit.answer('POST', `${AUTHN}/${version}/selfsubjectreviews`, {
    token,
    headers,
    body: { apiVersion: `authentication.k8s.io/${version}`, kind: 'SelfSubjectReview' },
  });
  if (status !== 201) throw new Error(`whoami: ${status} ${JSON.stringify(body)}`);
  expect(body).toMatchObject({ kind: 'SelfSubjectReview', apiVersion: `authentication.k8s.io/${version}` });
  return body.status.userInfo;
}

describe('SelfSubjectReview', () => {
  it('says who the caller is in v1, v1beta1 and v1alpha1, system:authenticated included', async () => {
    for (const version of ['v1', 'v1beta1', 'v1alpha1']) {
      expect(await whoami('alice', {}, version)).toEqual({
        username: 'alice',
        uid: 'uid-alice',
        groups: ['devs', 'system:authenticated'],
      });
    }
    expect(await whoami(undefined)).toEqual({
      username: 'admin',
      groups: ['system:masters', 'system:authenticated'],
    });
    // Anonymous callers may not ask: system:basic-user is bound to system:authenticated only.
    const anonymous = await kit.answer('POST', `${AUTHN}/v1/selfsubjectreviews`, { token: null, body: {} });
    expect(anonymous.status).toBe(403);
    expect(anonymous.body.message).toBe(
      'selfsubjectreviews.authentication.k8s.io is forbidden: User "system:anonymous" cannot create resource "selfsubjectreviews" in API group "authentication.k8s.io" at the cluster scope',
    );
  });
});

describe('impersonation', () => {
  it('makes the request the impersonated user, with system:authenticated added', async () => {
    expect(await whoami(undefined, { 'Impersonate-User': 'alice' })).toEqual({
      username: 'alice',
      groups: ['system:authenticated'],
    });
    expect(await whoami('imp', { 'Impersonate-User': 'alice', 'Impersonate-Group': 'devs' })).toEqual({
      username: 'alice',
      groups: ['devs', 'system:authenticated'],
    });
    // Authorised as alice: view in team-a, nothing elsewhere.
    expect(
      (
        await kit.answer('GET', '/api/v1/namespaces/team-a/pods', {
          token: 'imp',
          headers: { 'Impersonate-User': 'alice' },
        })
      ).status,
    ).toBe(200);
    const denied = await kit.answer('GET', '/api/v1/nodes', {
      token: 'imp',
      headers: { 'Impersonate-User': 'alice' },
    });
    expect(denied.body.message).toBe(
      'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope',
    );
  });

  it('takes several Impersonate-Group headers, a uid and extras', async () => {
    // fetch folds repeated headers into one line; these go as separate lines through node:https.
    const { request } = await import('node:https');
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${sim.url}${AUTHN}/v1/selfsubjectreviews`,
        {
          method: 'POST',
          ca: sim.caPem,
          // A raw header list: Node sends it as is (Host and Content-Length included).
          headers: [
            ['host', new URL(sim.url).host],
            ['content-length', '2'],
            ['authorization', `Bearer ${sim.adminToken}`],
            ['content-type', 'application/json'],
            ['Impersonate-User', 'system:serviceaccount:team-a:robot'],
            ['Impersonate-Group', 'g1, with comma'],
            ['Impersonate-Group', 'g2'],
            ['Impersonate-Uid', '1234'],
            ['Impersonate-Extra-Scopes', 'view'],
            ['Impersonate-Extra-Scopes', 'edit'],
            ['Impersonate-Extra-Acme.com%2Fproject', 'p1'],
          ].flat(),
        },
        (r) => {
          let text = '';
          r.setEncoding('utf8').on('data', (c) => {
            text += c;
          });
          r.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    expect(JSON.parse(body).status.userInfo).toEqual({
      username: 'system:serviceaccount:team-a:robot',
      uid: '1234',
      groups: ['g1, with comma', 'g2', 'system:authenticated'],
      extra: { 'acme.com/project': ['p1'], scopes: ['view', 'edit'] },
    });
  });

  it('gives an impersonated service account its groups when none are asked', async () => {
    expect(await whoami('imp', { 'Impersonate-User': 'system:serviceaccount:team-a:robot' })).toEqual({
      username: 'system:serviceaccount:team-a:robot',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:team-a', 'system:authenticated'],
    });
  });

  it.each([
    [
      { 'Impersonate-User': 'bob' },
      'users "bob" is forbidden: User "imp" cannot impersonate resource "users" in API group "" at the cluster scope',
      { name: 'bob', kind: 'users' },
    ],
    [
      { 'Impersonate-User': 'alice', 'Impersonate-Group': 'system:masters' },
      'groups "system:masters" is forbidden: User "imp" cannot impersonate resource "groups" in API group "" at the cluster scope',
      { name: 'system:masters', kind: 'groups' },
    ],
    [
      { 'Impersonate-User': 'system:serviceaccount:team-b:robot' },
      'serviceaccounts "robot" is forbidden: User "imp" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "team-b"',
      { name: 'robot', kind: 'serviceaccounts' },
    ],
    [
      { 'Impersonate-User': 'alice', 'Impersonate-Extra-Project': 'p1' },
      'userextras.authentication.k8s.io "p1" is forbidden: User "imp" cannot impersonate resource "userextras/project" in API group "authentication.k8s.io" at the cluster scope',
      { name: 'p1', group: 'authentication.k8s.io', kind: 'userextras' },
    ],
  ])('refuses %j to a user without the verb impersonate on it', async (headers, message, details) => {
    const res = await kit.answer('GET', '/api/v1/namespaces/team-a/pods', { token: 'imp', headers });
    expect(res).toEqual({
      status: 403,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason: 'Forbidden',
        details,
        code: 403,
      },
    });
  });

  it('refuses uids to a user without the verb, and groups without a user as an internal error', async () => {
    const uid = await kit.answer('GET', '/api', {
      token: 'gateway',
      headers: { 'Impersonate-User': 'x', 'Impersonate-Uid': '1234' },
    });
    expect(uid.body.message).toBe(
      'users "x" is forbidden: User "gateway" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    await kit.clusterRole('impersonate-users', [
      { apiGroups: [''], resources: ['users'], verbs: ['impersonate'] },
    ]);
    await kit.clusterRoleBinding('gateway-impersonates', 'impersonate-users', [{ user: 'gateway' }]);
    const uidOnly = await kit.answer('GET', '/api', {
      token: 'gateway',
      headers: { 'Impersonate-User': 'x', 'Impersonate-Uid': '1234' },
    });
    expect(uidOnly.body.message).toBe(
      'uids.authentication.k8s.io "1234" is forbidden: User "gateway" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope',
    );
    const groupOnly = await kit.answer('GET', '/api', {
      token: 'gateway',
      headers: { 'Impersonate-Group': 'devs' },
    });
    expect(groupOnly.status).toBe(500);
    expect(groupOnly.body).toBe(
      'Internal Server Error: "/api": requested [{Group  devs    }] without impersonating a user\n',
    );
  });
});

describe('TokenReview', () => {
  const review = (token: string, spec: AnyJson = {}, as?: string) =>
    kit.answer('POST', `${AUTHN}/v1/tokenreviews`, {
      token: as,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...spec } },
    });

  it('authenticates a known token with its user and the API server audiences', async () => {
    const { status, body } = await review('alice');
    expect(status).toBe(201);
    expect(body).toEqual({
      kind: 'TokenReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: { token: 'alice' },
      status: {
        authenticated: true,
        user: { username: 'alice', uid: 'uid-alice', groups: ['devs', 'system:authenticated'] },
        audiences: API_AUDIENCES,
      },
    });
  });

  it('answers an unknown token (or another audience) with authenticated unset, not an HTTP error', async () => {
    for (const [token, spec] of [
      ['nope', {}],
      ['alice', { audiences: ['https://elsewhere'] }],
    ] as const) {
      const { status, body } = await review(token, spec);
      expect(status).toBe(201);
      expect(body.status).toEqual({ user: {}, error: 'invalid bearer token' });
    }
    const empty = await review('');
    expect(empty.status).toBe(400);
    expect(empty.body.message).toBe('token is required for TokenReview in authentication');
  });

  it('needs create on tokenreviews (system:auth-delegator grants it)', async () => {
    const refused = await review('alice', {}, 'gateway');
    expect(refused.body.message).toBe(
      'tokenreviews.authentication.k8s.io is forbidden: User "gateway" cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope',
    );
    await kit.clusterRoleBinding('gateway-auth-delegator', 'system:auth-delegator', [{ user: 'gateway' }]);
    expect((await review('alice', {}, 'gateway')).status).toBe(201);
  });
});

describe('SubjectAccessReview and its kin', () => {
  const sar = (
    spec: AnyJson,
    kind = 'SubjectAccessReview',
    token?: string,
    path = `${AUTHZ}/subjectaccessreviews`,
  ) => kit.answer('POST', path, { token, body: { apiVersion: 'authorization.k8s.io/v1', kind, spec } });

  it('decides for the user and groups given, exactly as given, with the reason that allowed', async () => {
    const spec = {
      user: 'alice',
      resourceAttributes: { namespace: 'team-a', verb: 'list', resource: 'pods' },
    };
    const { status, body } = await sar(spec);
    expect(status).toBe(201);
    expect(body).toEqual({
      kind: 'SubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec,
      status: {
        allowed: true,
        reason: 'RBAC: allowed by RoleBinding "alice-view/team-a" of ClusterRole "view" to User "alice"',
      },
    });
    expect(
      (await sar({ ...spec, resourceAttributes: { ...spec.resourceAttributes, namespace: 'kube-system' } }))
        .body.status,
    ).toEqual({
      allowed: false,
    });
    // No group is added: system:authenticated must be asked for to count.
    const discovery = { user: 'alice', nonResourceAttributes: { path: '/api', verb: 'get' } };
    expect((await sar(discovery)).body.status.allowed).toBe(false);
    expect((await sar({ ...discovery, groups: ['system:authenticated'] })).body.status).toEqual({
      allowed: true,
      reason:
        'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"',
    });
    expect(
      (await sar({ groups: ['system:masters'], resourceAttributes: { verb: 'delete', resource: 'nodes' } }))
        .body.status,
    ).toEqual({
      allowed: true,
    });
  });

  it('answers malformed reviews with kube-apiserver 422s', async () => {
    const neither = await sar({ user: 'alice' });
    expect(neither.status).toBe(422);
    expect(neither.body.message).toBe(
      'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
    const both = await sar({
      groups: ['g'],
      resourceAttributes: { verb: 'get', resource: 'pods' },
      nonResourceAttributes: { path: '/api', verb: 'get' },
    });
    expect(both.body.message).toBe(
      'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:"/api", Verb:"get"}: cannot be specified in combination with resourceAttributes',
    );
    const nobody = await sar({ resourceAttributes: { verb: 'get', resource: 'pods' } });
    expect(nobody.body.message).toBe(
      'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified',
    );
  });

  it('needs create on subjectaccessreviews; self reviews need only system:basic-user', async () => {
    const spec = { user: 'alice', resourceAttributes: { verb: 'get', resource: 'pods' } };
    expect((await sar(spec, 'SubjectAccessReview', 'alice')).body.message).toBe(
      'subjectaccessreviews.authorization.k8s.io is forbidden: User "alice" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope',
    );
    const self = await sar(
      { resourceAttributes: { namespace: 'team-a', verb: 'watch', resource: 'pods' } },
      'SelfSubjectAccessReview',
      'alice',
      `${AUTHZ}/selfsubjectaccessreviews`,
    );
    expect(self.status).toBe(201);
    expect(self.body.status).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "alice-view/team-a" of ClusterRole "view" to User "alice"',
    });
    const selfNo = await sar(
      { nonResourceAttributes: { path: '/logs', verb: 'get' } },
      'SelfSubjectAccessReview',
      'alice',
      `${AUTHZ}/selfsubjectaccessreviews`,
    );
    expect(selfNo.body.status).toEqual({ allowed: false });
  });

  it('answers LocalSubjectAccessReviews in the namespace of their path only', async () => {
    const path = `${AUTHZ}/namespaces/team-a/localsubjectaccessreviews`;
    const ok = await sar(
      { user: 'alice', resourceAttributes: { namespace: 'team-a', verb: 'get', resource: 'pods' } },
      'LocalSubjectAccessReview',
      undefined,
      path,
    );
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ metadata: { namespace: 'team-a' }, status: { allowed: true } });
    const elsewhere = await sar(
      { user: 'alice', resourceAttributes: { namespace: 'kube-system', verb: 'get', resource: 'pods' } },
      'LocalSubjectAccessReview',
      undefined,
      path,
    );
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.message).toBe('spec.resourceAttributes.namespace must match namespace: team-a');
  });

  it('lists the caller rules in a namespace with a SelfSubjectRulesReview', async () => {
    const path = `${AUTHZ}/selfsubjectrulesreviews`;
    const { status, body } = await kit.answer('POST', path, {
      token: 'alice',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectRulesReview',
        spec: { namespace: 'team-a' },
      },
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      kind: 'SelfSubjectRulesReview',
      apiVersion: 'authorization.k8s.io/v1',
      spec: {},
    });
    expect(body.status.incomplete).toBe(false);
    const view = sim.store.get('clusterroles', undefined, 'view')!.rules as AnyJson[];
    // Cluster-wide bindings first (basic-user, discovery, public-info-viewer), then team-a's.
    expect(body.status.resourceRules).toEqual([
      {
        verbs: ['create'],
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
      },
      { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
      ...view.map((r) => ({ verbs: r.verbs, apiGroups: r.apiGroups, resources: r.resources })),
    ]);
    expect(body.status.nonResourceRules).toContainEqual({
      verbs: ['get'],
      nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'],
    });
    const elsewhere = await kit.answer('POST', path, {
      token: 'alice',
      body: { spec: { namespace: 'kube-system' } },
    });
    expect(elsewhere.body.status.resourceRules).toHaveLength(2);
    const missing = await kit.answer('POST', path, { token: 'alice', body: { spec: {} } });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toBe('no namespace on request');
  });
});
