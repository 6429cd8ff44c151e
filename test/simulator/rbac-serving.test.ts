/**
 * rbac.authorization.k8s.io/v1 served like the other kinds, and who the simulator's users
 * are, over real HTTPS: discovery, the default policy a real API server creates, the four
 * kinds through the generic REST path (get, list, label selectors, watch with bookmarks and
 * resume, create, update, merge/strategic/JSON patch, delete, dryRun, Tables), kube-apiserver's
 * validation (roleRef immutable, roleRef kinds, rules, subjects, defaulting), the aggregation
 * controller, and authentication from `users`, a static token file, and at run time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSimulatorArgs } from '../../src/simulator/cli.js';
import { parseTokenFile, TokenFileError } from '../../src/simulator/rbac/authentication.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { waitFor } from '../helpers/wait.js';
import { type AnyJson, getJson, simFetch, TABLE_ACCEPT, WatchStream } from './sim-kit.js';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const ALICE = 'alice-token';
let sim: Simulator;
let dir: string;
const watches: WatchStream[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubegate-rbac-'));
  const tokenFile = join(dir, 'tokens.csv');
  writeFileSync(tokenFile, 'bob-token,bob,2002,"ops,qa"\ncarol-token,carol,2003\n');
  sim = await startSimulator({
    churnPerSecond: 0,
    jobStepMs: 3_600_000,
    nodeLeaseRenewMs: 0,
    bookmarkIntervalMs: 100,
    scenario: { seed: 7, nodes: 2, pods: 12, jobs: 1, namespaces: 2 },
    users: [{ token: ALICE, user: 'alice', uid: '1001', groups: ['devs'] }],
    tokenAuthFile: tokenFile,
  });
});

afterAll(async () => {
  for (const w of watches) w.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

const send = (method: string, path: string, body?: unknown, init: { token?: string; type?: string } = {}) =>
  simFetch(sim, path, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'content-type': init.type ?? 'application/json' },
    token: init.token,
  });

const role = (name: string, rules: AnyJson[], extra: AnyJson = {}) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'Role',
  metadata: { name, ...extra },
  rules,
});
const binding = (
  kind: 'RoleBinding' | 'ClusterRoleBinding',
  name: string,
  roleRef: AnyJson,
  subjects: AnyJson[],
) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind,
  metadata: { name },
  roleRef,
  subjects,
});
const podReader = [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }];

async function created(path: string, body: unknown): Promise<AnyJson> {
  const res = await send('POST', path, body);
  const json = (await res.json()) as AnyJson;
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

describe('discovery', () => {
  it('lists rbac.authorization.k8s.io/v1 with its four kinds, and the review groups', async () => {
    const groups = (await getJson<AnyJson>(sim, '/apis')).groups.map((g: AnyJson) => g.name);
    expect(groups).toEqual([
      'apps',
      'authentication.k8s.io',
      'authorization.k8s.io',
      'batch',
      'rbac.authorization.k8s.io',
      'coordination.k8s.io',
      // Aggregated (metrics-server's), so last.
      'metrics.k8s.io',
    ]);
    const list = await getJson<AnyJson>(sim, RBAC);
    expect(list.groupVersion).toBe('rbac.authorization.k8s.io/v1');
    expect(list.resources.map((r: AnyJson) => [r.name, r.kind, r.namespaced])).toEqual([
      ['clusterrolebindings', 'ClusterRoleBinding', false],
      ['clusterroles', 'ClusterRole', false],
      ['rolebindings', 'RoleBinding', true],
      ['roles', 'Role', true],
    ]);
    expect(list.resources[0].verbs).toEqual(
      expect.arrayContaining(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']),
    );
    expect(await getJson(sim, '/apis/rbac.authorization.k8s.io')).toMatchObject({
      kind: 'APIGroup',
      preferredVersion: { groupVersion: 'rbac.authorization.k8s.io/v1' },
    });
  });
});

describe('the default policy', () => {
  it('has the roles and bindings a real API server bootstraps, labelled rbac-defaults', async () => {
    const roles = await getJson<AnyJson>(
      sim,
      `${RBAC}/clusterroles?labelSelector=kubernetes.io/bootstrapping=rbac-defaults`,
    );
    expect(roles.kind).toBe('ClusterRoleList');
    const names = roles.items.map((r: AnyJson) => r.metadata.name);
    for (const name of [
      'admin',
      'cluster-admin',
      'edit',
      'view',
      'system:aggregate-to-admin',
      'system:aggregate-to-edit',
      'system:aggregate-to-view',
      'system:basic-user',
      'system:discovery',
      'system:public-info-viewer',
      'system:kube-scheduler',
      'system:node',
      'system:controller:job-controller',
    ]) {
      expect(names).toContain(name);
    }
    const byName = new Map<string, AnyJson>(roles.items.map((r: AnyJson) => [r.metadata.name, r]));
    expect(byName.get('cluster-admin').rules).toEqual([
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ]);
    expect(byName.get('view').aggregationRule).toEqual({
      clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }],
    });
    expect(byName.get('view').metadata.labels).toEqual({
      'kubernetes.io/bootstrapping': 'rbac-defaults',
      'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
    });
    expect(byName.get('view').metadata.annotations).toEqual({
      'rbac.authorization.kubernetes.io/autoupdate': 'true',
    });

    const bindings = await getJson<AnyJson>(sim, `${RBAC}/clusterrolebindings`);
    const subjects = Object.fromEntries(bindings.items.map((b: AnyJson) => [b.metadata.name, b.subjects]));
    const group = (name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name });
    expect(subjects['cluster-admin']).toEqual([group('system:masters')]);
    expect(subjects['system:basic-user']).toEqual([group('system:authenticated')]);
    expect(subjects['system:discovery']).toEqual([group('system:authenticated')]);
    expect(subjects['system:public-info-viewer']).toEqual([
      group('system:authenticated'),
      group('system:unauthenticated'),
    ]);
    expect(subjects['system:controller:job-controller']).toEqual([
      { kind: 'ServiceAccount', name: 'job-controller', namespace: 'kube-system' },
    ]);
    expect(subjects['system:node']).toBeUndefined();
  });

  it('fills admin, edit and view from the aggregate-to-* roles, as the aggregation controller does', async () => {
    const get = async (name: string) => (await getJson<AnyJson>(sim, `${RBAC}/clusterroles/${name}`)).rules;
    const union = (...lists: AnyJson[][]) => {
      const out: AnyJson[] = [];
      for (const rule of lists.flat())
        if (!out.some((r) => JSON.stringify(r) === JSON.stringify(rule))) out.push(rule);
      return out;
    };
    const [toView, toEdit, toAdmin] = await Promise.all(
      ['system:aggregate-to-view', 'system:aggregate-to-edit', 'system:aggregate-to-admin'].map(get),
    );
    // metrics-server's role (the metrics API is on by default) aggregates to all three.
    const metricsReader = await get('system:aggregated-metrics-reader');
    const view = await get('view');
    expect(view).toEqual(union(toView, metricsReader));
    // Selected roles in name order: edit takes system:aggregate-to-edit, the metrics reader, then view.
    const edit = await get('edit');
    expect(edit).toEqual(union(toEdit, metricsReader, view));
    expect(await get('admin')).toEqual(union(edit, toAdmin, metricsReader));
    expect(view).toContainEqual({
      apiGroups: [''],
      resources: ['namespaces'],
      verbs: ['get', 'list', 'watch'],
    });
  });
});

describe('the four kinds through the REST path', () => {
  it('creates, reads, lists by label, updates, patches three ways and deletes a Role', async () => {
    const path = `${RBAC}/namespaces/default/roles`;
    const made = await created(path, role('reader', podReader, { labels: { team: 'a' } }));
    expect(made).toMatchObject({
      kind: 'Role',
      apiVersion: 'rbac.authorization.k8s.io/v1',
      metadata: { namespace: 'default' },
    });
    expect(made.metadata.uid).toBeTruthy();
    expect((await getJson<AnyJson>(sim, `${path}/reader`)).rules).toEqual(podReader);
    const byLabel = await getJson<AnyJson>(sim, `${RBAC}/roles?labelSelector=team%3Da`);
    expect(byLabel.items.map((r: AnyJson) => `${r.metadata.namespace}/${r.metadata.name}`)).toEqual([
      'default/reader',
    ]);
    expect((await getJson<AnyJson>(sim, `${RBAC}/roles?labelSelector=team%3Db`)).items).toEqual([]);

    const update = await send('PUT', `${path}/reader`, {
      ...made,
      rules: [{ ...podReader[0], verbs: ['get'] }],
    });
    expect(update.status).toBe(200);
    const merged = await send(
      'PATCH',
      `${path}/reader`,
      { metadata: { labels: { team: 'b' } } },
      { type: 'application/merge-patch+json' },
    );
    expect(((await merged.json()) as AnyJson).metadata.labels).toEqual({ team: 'b' });
    // rules has no patch strategy: a strategic patch replaces the list.
    const strategic = await send(
      'PATCH',
      `${path}/reader`,
      { rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['list'] }] },
      { type: 'application/strategic-merge-patch+json' },
    );
    expect(((await strategic.json()) as AnyJson).rules).toEqual([
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['list'] },
    ]);
    const json = await send(
      'PATCH',
      `${path}/reader`,
      [{ op: 'add', path: '/rules/0/verbs/-', value: 'watch' }],
      {
        type: 'application/json-patch+json',
      },
    );
    expect(((await json.json()) as AnyJson).rules[0].verbs).toEqual(['list', 'watch']);

    expect((await send('DELETE', `${path}/reader`)).status).toBe(200);
    const gone = await send('GET', `${path}/reader`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({
      message: 'roles.rbac.authorization.k8s.io "reader" not found',
    });
  });

  it('answers dryRun=All without storing, and 409 for a name taken', async () => {
    const path = `${RBAC}/clusterroles`;
    const dry = await send('POST', `${path}?dryRun=All`, {
      ...role('dry-cr', podReader),
      kind: 'ClusterRole',
    });
    expect(dry.status).toBe(201);
    expect(sim.store.get('clusterroles', undefined, 'dry-cr')).toBeUndefined();
    const taken = await send('POST', path, { ...role('view', podReader), kind: 'ClusterRole' });
    expect(taken.status).toBe(409);
    expect(await taken.json()).toMatchObject({
      reason: 'AlreadyExists',
      message: 'clusterroles.rbac.authorization.k8s.io "view" already exists',
    });
  });

  it('watches RoleBindings with bookmarks, and resumes from a resourceVersion', async () => {
    const from = sim.store.resourceVersion;
    const w = await WatchStream.open(
      sim,
      `${RBAC}/namespaces/default/rolebindings?watch=true&allowWatchBookmarks=true&resourceVersion=${from}`,
    );
    watches.push(w);
    const rb = binding(
      'RoleBinding',
      'watched',
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
    );
    await created(`${RBAC}/namespaces/default/rolebindings`, rb);
    await send(
      'PATCH',
      `${RBAC}/namespaces/default/rolebindings/watched`,
      { metadata: { labels: { x: 'y' } } },
      {
        type: 'application/merge-patch+json',
      },
    );
    await send('DELETE', `${RBAC}/namespaces/default/rolebindings/watched`);
    const seen = await w.until((e) => e.type === 'DELETED');
    expect(seen.filter((e) => e.type !== 'BOOKMARK').map((e) => e.type)).toEqual([
      'ADDED',
      'MODIFIED',
      'DELETED',
    ]);
    const bookmark = await w.until((e) => e.type === 'BOOKMARK');
    expect(bookmark.at(-1)!.object).toMatchObject({
      kind: 'RoleBinding',
      apiVersion: 'rbac.authorization.k8s.io/v1',
    });
    w.close();

    // The same changes again, replayed from the resourceVersion the first watch started at.
    const resumed = await WatchStream.open(
      sim,
      `${RBAC}/namespaces/default/rolebindings?watch=true&resourceVersion=${from}`,
    );
    watches.push(resumed);
    expect((await resumed.take(3)).map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'watched'],
      ['MODIFIED', 'watched'],
      ['DELETED', 'watched'],
    ]);
    resumed.close();
  });

  it('prints Tables as kube-apiserver does: NAME, CREATED AT for roles; NAME, ROLE, AGE (+ subjects) for bindings', async () => {
    await created(
      `${RBAC}/namespaces/default/roles`,
      role('tabled', podReader, { creationTimestamp: '2026-01-02T03:04:05Z' }),
    );
    await created(
      `${RBAC}/namespaces/default/rolebindings`,
      binding(
        'RoleBinding',
        'tabled',
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'tabled' },
        [
          { kind: 'User', name: 'alice' },
          { kind: 'Group', name: 'devs' },
          { kind: 'ServiceAccount', name: 'robot', namespace: 'default' },
          { kind: 'User', name: 'dave' },
        ],
      ),
    );
    const roles = await getJson<AnyJson>(sim, `${RBAC}/namespaces/default/roles/tabled`, {
      headers: { accept: TABLE_ACCEPT },
    });
    expect(roles.columnDefinitions.map((c: AnyJson) => [c.name, c.type, c.priority])).toEqual([
      ['Name', 'string', 0],
      ['Created At', 'date', 0],
    ]);
    expect(roles.rows[0].cells).toEqual(['tabled', '2026-01-02T03:04:05Z']);
    const bindings = await getJson<AnyJson>(sim, `${RBAC}/namespaces/default/rolebindings/tabled`, {
      headers: { accept: TABLE_ACCEPT },
    });
    expect(bindings.columnDefinitions.map((c: AnyJson) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Role', 0],
      ['Age', 0],
      ['Users', 1],
      ['Groups', 1],
      ['ServiceAccounts', 1],
    ]);
    const [name, ref, age, users, groups, sas] = bindings.rows[0].cells;
    expect([name, ref, users, groups, sas]).toEqual([
      'tabled',
      'Role/tabled',
      'alice, dave',
      'devs',
      'default/robot',
    ]);
    expect(age).toMatch(/^\d+s$/);
  });

  it('deletes a namespace with its Roles and RoleBindings', async () => {
    await created('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'short-lived' },
    });
    await created(`${RBAC}/namespaces/short-lived/roles`, role('r', podReader));
    await created(
      `${RBAC}/namespaces/short-lived/rolebindings`,
      binding('RoleBinding', 'rb', { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, []),
    );
    expect((await send('DELETE', '/api/v1/namespaces/short-lived')).status).toBe(200);
    expect(sim.store.get('roles', 'short-lived', 'r')).toBeUndefined();
    expect(sim.store.get('rolebindings', 'short-lived', 'rb')).toBeUndefined();
  });
});

describe('validation, as pkg/apis/rbac/validation words it', () => {
  const viewRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' };

  it('defaults the apiGroup of roleRef and of User and Group subjects', async () => {
    const made = await created(
      `${RBAC}/clusterrolebindings`,
      binding('ClusterRoleBinding', 'defaulted', { kind: 'ClusterRole', name: 'view' }, [
        { kind: 'User', name: 'erin' },
        { kind: 'Group', name: 'testers' },
        { kind: 'ServiceAccount', name: 'robot', namespace: 'default' },
      ]),
    );
    expect(made.roleRef).toEqual(viewRef);
    expect(made.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'erin' },
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'testers' },
      { kind: 'ServiceAccount', name: 'robot', namespace: 'default' },
    ]);
  });

  it('refuses to change a binding roleRef, by update and by patch, with 422', async () => {
    const path = `${RBAC}/namespaces/default/rolebindings`;
    const made = await created(path, binding('RoleBinding', 'fixed-ref', viewRef, []));
    const message =
      'RoleBinding.rbac.authorization.k8s.io "fixed-ref" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef';
    const update = await send('PUT', `${path}/fixed-ref`, { ...made, roleRef: { ...viewRef, name: 'edit' } });
    expect(update.status).toBe(422);
    expect(await update.json()).toMatchObject({
      reason: 'Invalid',
      message,
      details: {
        name: 'fixed-ref',
        group: 'rbac.authorization.k8s.io',
        kind: 'RoleBinding',
        causes: [{ reason: 'FieldValueInvalid', field: 'roleRef' }],
      },
    });
    const patch = await send(
      'PATCH',
      `${path}/fixed-ref`,
      { roleRef: { name: 'edit' } },
      { type: 'application/merge-patch+json' },
    );
    expect(patch.status).toBe(422);
    expect(await patch.json()).toMatchObject({ message });
    expect(sim.store.get('rolebindings', 'default', 'fixed-ref')!.roleRef).toEqual(viewRef);
    // Subjects may change.
    const subjects = await send(
      'PATCH',
      `${path}/fixed-ref`,
      { subjects: [{ kind: 'Group', name: 'qa' }] },
      {
        type: 'application/merge-patch+json',
      },
    );
    expect(subjects.status).toBe(200);
  });

  it.each([
    [
      'a RoleBinding to a kind other than Role or ClusterRole',
      'rolebindings',
      binding(
        'RoleBinding',
        'bad-kind',
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'Pod', name: 'x' },
        [],
      ),
      'RoleBinding.rbac.authorization.k8s.io "bad-kind" is invalid: roleRef.kind: Unsupported value: "Pod": supported values: "Role", "ClusterRole"',
    ],
    [
      'a ClusterRoleBinding to a Role',
      'clusterrolebindings',
      binding(
        'ClusterRoleBinding',
        'crb-to-role',
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'x' },
        [],
      ),
      'ClusterRoleBinding.rbac.authorization.k8s.io "crb-to-role" is invalid: roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
    ],
    [
      'a binding without roleRef',
      'rolebindings',
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'no-ref' } },
      'RoleBinding.rbac.authorization.k8s.io "no-ref" is invalid: [roleRef.kind: Unsupported value: "": supported values: "Role", "ClusterRole", roleRef.name: Required value]',
    ],
    [
      'a subject of an unknown kind, and a service account without a namespace in a ClusterRoleBinding',
      'clusterrolebindings',
      binding('ClusterRoleBinding', 'bad-subjects', viewRef, [
        { kind: 'Robot', name: 'r2' },
        { kind: 'ServiceAccount', name: 'sa' },
      ]),
      'ClusterRoleBinding.rbac.authorization.k8s.io "bad-subjects" is invalid: [subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group", subjects[1].namespace: Required value]',
    ],
    [
      'a Role rule with non-resource URLs, and one without verbs',
      'roles',
      role('bad-rules', [
        { nonResourceURLs: ['/healthz'], verbs: ['get'] },
        { apiGroups: [''], resources: ['pods'] },
      ]),
      'Role.rbac.authorization.k8s.io "bad-rules" is invalid: [rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs, rules[1].verbs: Required value: verbs must contain at least one value]',
    ],
  ])('refuses %s with 422', async (_what, resource, body, message) => {
    const namespaced = resource === 'roles' || resource === 'rolebindings';
    const res = await send('POST', `${RBAC}/${namespaced ? 'namespaces/default/' : ''}${resource}`, body);
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422, message });
  });

  it('refuses a ClusterRole rule mixing resources and URLs, and an aggregationRule without selectors', async () => {
    const res = await send('POST', `${RBAC}/clusterroles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'mixed' },
      aggregationRule: { clusterRoleSelectors: [] },
      rules: [{ apiGroups: [''], resources: ['pods'], nonResourceURLs: ['/x'], verbs: ['get'] }],
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as AnyJson).message).toBe(
      'ClusterRole.rbac.authorization.k8s.io "mixed" is invalid: [rules[0].nonResourceURLs: Invalid value: []string{"/x"}: rules cannot apply to both regular resources and non-resource URLs, aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil]',
    );
  });
});

describe('the aggregation controller', () => {
  it('adds a labelled ClusterRole rules to view, edit and admin, follows its changes, and drops them when it goes', async () => {
    const crontabs = {
      apiGroups: ['stable.example.com'],
      resources: ['crontabs'],
      verbs: ['get', 'list', 'watch'],
    };
    const rulesOf = async (name: string) =>
      (await getJson<AnyJson>(sim, `${RBAC}/clusterroles/${name}`)).rules as AnyJson[];
    const everywhere = async (rule: AnyJson, present: boolean) =>
      (await Promise.all(['view', 'edit', 'admin'].map(rulesOf))).every(
        (rules) => rules.some((r) => JSON.stringify(r) === JSON.stringify(rule)) === present,
      );
    await created(`${RBAC}/clusterroles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: {
        name: 'aggregate-cron-tabs-view',
        labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' },
      },
      rules: [crontabs],
    });
    await waitFor(() => everywhere(crontabs, true), 'the crontabs rule in view, edit and admin');

    const widened = { ...crontabs, verbs: ['get', 'list', 'watch', 'create'] };
    await send(
      'PATCH',
      `${RBAC}/clusterroles/aggregate-cron-tabs-view`,
      { rules: [widened] },
      {
        type: 'application/merge-patch+json',
      },
    );
    await waitFor(
      async () => (await everywhere(widened, true)) && (await everywhere(crontabs, false)),
      'the changed rule',
    );

    await send('DELETE', `${RBAC}/clusterroles/aggregate-cron-tabs-view`);
    await waitFor(() => everywhere(widened, false), 'the rule gone from view, edit and admin');
  });
});

describe('authentication', () => {
  const status = async (path: string, token?: string | null) => (await simFetch(sim, path, { token })).status;

  it('knows users from the users option and the token file, each in system:authenticated', async () => {
    // Authenticated, so not 401; allowed nothing but what system:authenticated is bound to.
    const denied = await simFetch(sim, '/api/v1/namespaces/kube-system/pods', { token: ALICE });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as AnyJson).message).toBe(
      'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "kube-system"',
    );
    for (const token of [ALICE, 'bob-token', 'carol-token']) expect(await status('/api', token)).toBe(200);
    expect(
      ((await (await simFetch(sim, '/api/v1/nodes', { token: 'bob-token' })).json()) as AnyJson).message,
    ).toMatch(/User "bob" cannot list resource "nodes"/);
    // A group from the file: bob is in ops.
    await created(
      `${RBAC}/clusterrolebindings`,
      binding(
        'ClusterRoleBinding',
        'ops-view-nodes',
        { kind: 'ClusterRole', name: 'system:kube-scheduler' },
        [{ kind: 'Group', name: 'ops' }],
      ),
    );
    expect(await status('/api/v1/nodes', 'bob-token')).toBe(200);
    expect(await status('/api/v1/nodes', 'carol-token')).toBe(403);
  });

  it('adds and removes users at run time; unknown tokens get 401; the admin is in system:masters', async () => {
    expect(await status('/api', 'dave-token')).toBe(401);
    sim.addUser({ token: 'dave-token', user: 'dave', groups: ['system:masters'] });
    expect(await status('/api/v1/nodes', 'dave-token')).toBe(200);
    expect(sim.removeUser('dave-token')).toBe(true);
    expect(await status('/api', 'dave-token')).toBe(401);
    expect(sim.removeUser('dave-token')).toBe(false);
    // The admin can do anything, whatever the RBAC objects say.
    await send('DELETE', `${RBAC}/clusterrolebindings/cluster-admin`);
    expect(await status('/api/v1/nodes')).toBe(200);
  });

  it('answers 401 without a token when anonymous auth is off', async () => {
    const closed = await startSimulator({
      churnPerSecond: 0,
      nodeLeaseRenewMs: 0,
      anonymousAuth: false,
      scenario: { seed: 1, nodes: 1, pods: 0, jobs: 0, namespaces: 1 },
    });
    try {
      for (const path of ['/healthz', '/version', '/api']) {
        expect((await simFetch(closed, path, { token: null })).status, path).toBe(401);
      }
      expect((await simFetch(closed, '/healthz')).status).toBe(200);
    } finally {
      await closed.close();
    }
  });
});

describe('the static token file', () => {
  it('reads kube-apiserver CSV: quoted group lists, optional groups, empty tokens skipped, the last duplicate wins', () => {
    expect(
      parseTokenFile('t1,alice,1,"a,b"\n\n"t,2",bob,2\r\n,skipped,3\nt1,alice2,4,"x ""y"""\nt3,carol,,\n'),
    ).toEqual([
      { token: 't,2', user: 'bob', uid: '2' },
      { token: 't1', user: 'alice2', uid: '4', groups: ['x "y"'] },
      { token: 't3', user: 'carol', groups: [''] },
    ]);
  });

  it('refuses a record of fewer than three columns, and a bare quote, as kube-apiserver does', () => {
    expect(() => parseTokenFile('t1,alice\n', 'tokens.csv')).toThrow(
      new TokenFileError(
        "token file 'tokens.csv' must have at least 3 columns (token, user name, user uid), found 2",
      ),
    );
    expect(() => parseTokenFile('t1,al"ice,1\n', 'tokens.csv')).toThrow(
      /parse error on line 1, column 6: bare " in non-quoted-field/,
    );
  });

  it('is the --token-auth-file flag, with --anonymous-auth', () => {
    expect(
      parseSimulatorArgs(['--token-auth-file', 'tokens.csv', '--anonymous-auth', 'false']),
    ).toMatchObject({
      tokenAuthFile: 'tokens.csv',
      anonymousAuth: false,
    });
    expect(() => parseSimulatorArgs(['--anonymous-auth', 'maybe'])).toThrow(
      '--anonymous-auth: expected true or false, received "maybe"',
    );
  });
});
