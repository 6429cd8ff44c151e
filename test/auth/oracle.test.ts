/**
 * The oracle (issue #11): a generated scenario of users, groups, Roles and ClusterRoles
 * (aggregated, wildcards, resourceNames, subresources) and bindings (users, groups,
 * service accounts; namespaced and cluster-wide), made through the simulator's API. Then,
 * for every (user, resource, namespace or cluster scope, verb), the gateway's decision —
 * the access every read path asks (src/loaders/access.ts), compiled from its own RBAC
 * informers — must equal the simulator's SubjectAccessReview answer. The two authorisers
 * share no code (the simulator imports nothing of the gateway). And the pods each user
 * sees through GraphQL, per namespace, must equal what `kubectl --token=<theirs> get pods`
 * returns there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessNow } from '../../src/loaders/catalog.js';
import { identityPrincipal } from '../../src/loaders/principal.js';
import type { SimUser } from '../../src/simulator/rbac/authentication.js';
import { type Harness, simFetch, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { Kubectl } from '../simulator/kubectl-runner.js';
import type { Json } from '../subscriptions/clients.js';
import { gatewayQuery, RBAC_API as RBAC, simCreate } from './kit.js';

/** A small deterministic PRNG (mulberry32): the scenario is the same on every run. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
    some: <T>(items: readonly T[], p = 0.5): T[] => items.filter(() => next() < p),
  };
}

/** The resources asked about: [apiGroup, resource, subresource], as the gateway tracks them. */
const RESOURCES = [
  ['', 'pods', ''],
  ['', 'pods', 'log'],
  ['', 'nodes', ''],
  ['', 'namespaces', ''],
  ['', 'events', ''],
  ['batch', 'jobs', ''],
] as const;
const VERBS = ['get', 'list', 'watch'] as const;
const GROUPS = ['devs', 'ops', 'auditors', 'interns'];

const USERS: (SimUser & { gatewayToken: string })[] = Array.from({ length: 10 }, (_, i) => ({
  token: `oracle-sim-token-${i}-abcdefghij`,
  gatewayToken: `oracle-gw-token-${i}-abcdefghij`,
  user: i === 9 ? 'system:serviceaccount:team-sa:robot' : `user-${i}`,
  groups:
    i === 9
      ? ['system:serviceaccounts', 'system:serviceaccounts:team-sa']
      : GROUPS.filter((_, g) => (i + g) % 3 === 0),
}));

let h: Harness;

/** A query through the gateway, its connections given `nodes` too. */
const gql = gatewayQuery(() => h);
let namespaces: string[];
let podNames: string[];
let objectCount = 0;

async function post(path: string, body: object): Promise<void> {
  await simCreate(h, path, body);
  objectCount += 1;
}

/** Rules drawn from the shapes the documentation shows: exact, wildcards, names, subresources, wrong groups. */
function randomRule(r: ReturnType<typeof prng>): Json {
  const shape = r.pick([
    'exact',
    'exact',
    'wildcard-resource',
    'wildcard-verb',
    'names',
    'subresource',
    'group',
  ]);
  const verbs = shape === 'wildcard-verb' ? ['*'] : r.some([...VERBS, 'create', 'delete'], 0.5);
  if (verbs.length === 0) verbs.push('get');
  switch (shape) {
    case 'wildcard-resource':
      return { apiGroups: [r.pick(['', '*', 'batch'])], resources: ['*'], verbs };
    case 'names':
      return {
        apiGroups: [''],
        resources: ['pods'],
        resourceNames: r.some(podNames, 0.1).slice(0, 3),
        verbs,
      };
    case 'subresource':
      return { apiGroups: [''], resources: [r.pick(['pods/log', '*/log', 'pods/status'])], verbs };
    case 'group':
      return {
        apiGroups: [r.pick(['apps', 'batch', ''])],
        resources: [r.pick(['jobs', 'pods', 'deployments'])],
        verbs,
      };
    default: {
      const resources = r.some(['pods', 'nodes', 'namespaces', 'events', 'jobs', 'configmaps'], 0.4);
      if (resources.length === 0) resources.push(r.pick(['pods', 'jobs', 'nodes']));
      return { apiGroups: r.pick([[''], ['batch'], ['', 'batch']]), resources, verbs };
    }
  }
}

beforeAll(async () => {
  h = await startHarness({
    simulator: { scenario: { nodes: 3, pods: 40, jobs: 4, namespaces: 4, seed: 21 }, users: USERS },
    identities: true,
    tokens: USERS.map((u) => ({ name: u.user, token: u.gatewayToken, user: u.user, groups: u.groups })),
  });
  h.sim.pauseActivity();
  const listed = (await (await simFetch(h.sim, '/api/v1/namespaces')).json()) as Json;
  namespaces = listed.items.map((n: Json) => n.metadata.name).sort();
  const pods = (await (await simFetch(h.sim, '/api/v1/pods')).json()) as Json;
  podNames = pods.items.map((p: Json) => p.metadata.name);

  const r = prng(7);
  const roleRefs: { kind: 'Role' | 'ClusterRole'; name: string; namespace?: string }[] = [];
  for (let i = 0; i < 8; i++) {
    const name = `oracle-cr-${i}`;
    const rules = Array.from({ length: 1 + Math.floor(r.next() * 3) }, () => randomRule(r)).filter(
      (rule) => !rule.resourceNames || rule.resourceNames.length > 0,
    );
    await post(`${RBAC}/clusterroles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      // Every third one is aggregated into oracle-aggregate too.
      metadata: { name, labels: i % 3 === 0 ? { 'oracle.example.com/aggregate': 'true' } : {} },
      rules,
    });
    roleRefs.push({ kind: 'ClusterRole', name });
  }
  await post(`${RBAC}/clusterroles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'oracle-aggregate' },
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'oracle.example.com/aggregate': 'true' } }] },
    rules: [],
  });
  roleRefs.push({ kind: 'ClusterRole', name: 'oracle-aggregate' }, { kind: 'ClusterRole', name: 'view' });
  for (const ns of namespaces.slice(0, 3)) {
    for (let i = 0; i < 2; i++) {
      const name = `oracle-role-${i}`;
      await post(`${RBAC}/namespaces/${ns}/roles`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name, namespace: ns },
        rules: [randomRule(r), randomRule(r)].filter(
          (rule) => !rule.resourceNames || rule.resourceNames.length > 0,
        ),
      });
      roleRefs.push({ kind: 'Role', name, namespace: ns });
    }
  }
  const subjects = [
    ...USERS.slice(0, 9).map((u) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: u.user })),
    ...GROUPS.map((g) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: g })),
    { kind: 'ServiceAccount', name: 'robot', namespace: 'team-sa' },
    { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:serviceaccounts:team-sa' },
  ];
  for (let i = 0; i < 40; i++) {
    const ref = r.pick(roleRefs);
    const who = r.some(subjects, 0.2);
    if (who.length === 0) who.push(r.pick(subjects));
    const binding = { apiGroup: 'rbac.authorization.k8s.io', kind: ref.kind, name: ref.name };
    if (ref.kind === 'ClusterRole' && r.next() < 0.3) {
      await post(`${RBAC}/clusterrolebindings`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: `oracle-crb-${i}` },
        roleRef: binding,
        subjects: who,
      });
    } else {
      const ns = ref.namespace ?? r.pick(namespaces);
      await post(`${RBAC}/namespaces/${ns}/rolebindings`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: `oracle-rb-${i}`, namespace: ns },
        roleRef: binding,
        subjects: who,
      });
    }
  }
  // The gateway has mirrored every RBAC object when its stores hold as many as the simulator.
  const count = async (path: string) => ((await (await simFetch(h.sim, path)).json()) as Json).items.length;
  const want = {
    Role: await count(`${RBAC}/roles`),
    ClusterRole: await count(`${RBAC}/clusterroles`),
    RoleBinding: await count(`${RBAC}/rolebindings`),
    ClusterRoleBinding: await count(`${RBAC}/clusterrolebindings`),
  };
  const aggregated = async () =>
    ((await (await simFetch(h.sim, `${RBAC}/clusterroles/oracle-aggregate`)).json()) as Json).rules?.length ??
    0;
  await waitFor(async () => (await aggregated()) > 0, 'the simulator to aggregate oracle-aggregate');
  const cluster = h.registry.get('sim')!;
  const canonical = (rules: Json[] | undefined) =>
    JSON.stringify((rules ?? []).map((rule) => Object.fromEntries(Object.entries(rule).sort())));
  const rules = canonical(
    ((await (await simFetch(h.sim, `${RBAC}/clusterroles/oracle-aggregate`)).json()) as Json).rules,
  );
  await waitFor(
    () =>
      (Object.keys(want) as (keyof typeof want)[]).every(
        (k) => cluster.informers?.[k]?.store.size === want[k],
      ) && canonical(cluster.informers?.ClusterRole?.store.get('oracle-aggregate')?.rules) === rules,
    {
      message: 'the gateway to mirror every RBAC object',
      observe: () =>
        JSON.stringify({
          want,
          have: Object.fromEntries(
            Object.keys(want).map((k) => [k, cluster.informers?.[k as keyof typeof want]?.store.size]),
          ),
          rules,
          mirrored: cluster.informers?.ClusterRole?.store.get('oracle-aggregate')?.rules,
        }),
    },
  );
}, 120_000);

afterAll(() => h?.close(), 30_000);

async function sar(user: SimUser, attributes: Json): Promise<boolean> {
  const res = await simFetch(h.sim, '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: user.user,
        groups: [...(user.groups ?? []), 'system:authenticated'],
        resourceAttributes: attributes,
      },
    }),
  });
  const body = (await res.json()) as Json;
  if (res.status !== 201) throw new Error(`SubjectAccessReview: ${res.status} ${JSON.stringify(body)}`);
  return body.status.allowed === true;
}

const KIND_OF: Record<string, 'Pod' | 'Node' | 'Namespace' | 'Event' | 'Job'> = {
  pods: 'Pod',
  nodes: 'Node',
  namespaces: 'Namespace',
  events: 'Event',
  jobs: 'Job',
};

describe('the gateway decides as the API server’s authoriser does', () => {
  it('for every user, resource, namespace (and the cluster scope) and read verb', async () => {
    const cases: { user: (typeof USERS)[number]; attributes: Json; gateway: () => boolean; label: string }[] =
      [];
    for (const user of USERS) {
      const principal = identityPrincipal({ username: user.user, groups: user.groups }, 'token');
      const access = () => accessNow(h.registry, principal, 'sim');
      for (const [group, resource, subresource] of RESOURCES) {
        const kind = KIND_OF[resource];
        const key = `${group}/${resource}${subresource ? `/${subresource}` : ''}`;
        for (const verb of VERBS) {
          // The cluster scope: lists across all namespaces, and cluster-scoped kinds.
          cases.push({
            user,
            label: `${user.user} ${verb} ${key} (cluster)`,
            attributes: { group, resource, subresource, verb, namespace: '' },
            gateway: () =>
              subresource ? access().allowsResource(verb, key, undefined) : access().all(verb, kind),
          });
          if (resource === 'nodes') continue;
          for (const ns of namespaces) {
            const name = resource === 'namespaces' ? ns : undefined;
            cases.push({
              user,
              label: `${user.user} ${verb} ${key} in ${ns}`,
              attributes: { group, resource, subresource, verb, namespace: ns, ...(name ? { name } : {}) },
              gateway: () =>
                subresource ? access().allowsResource(verb, key, ns) : access().allows(verb, kind, ns, name),
            });
          }
        }
      }
      // resourceNames: get of each named pod, where it lives.
      for (const pod of podNames.slice(0, 40)) {
        const ns = [...h.sim.store.scan('pods')].find((p) => p.metadata.name === pod)?.metadata.namespace;
        cases.push({
          user,
          label: `${user.user} get pods/${pod} in ${ns}`,
          attributes: { group: '', resource: 'pods', verb: 'get', namespace: ns, name: pod },
          gateway: () => access().allows('get', 'Pod', ns, pod),
        });
      }
    }
    const answers: boolean[] = new Array(cases.length);
    for (let i = 0; i < cases.length; i += 32)
      await Promise.all(
        cases.slice(i, i + 32).map(async (c, j) => {
          answers[i + j] = await sar(c.user, c.attributes);
        }),
      );
    const mismatches = cases.flatMap((c, i) =>
      c.gateway() === answers[i] ? [] : [`${c.label}: sar=${answers[i]}`],
    );
    expect(mismatches).toEqual([]);
    // The scenario exercises both answers broadly (a generator that grants nothing proves nothing).
    const allowed = answers.filter(Boolean).length;
    expect(allowed).toBeGreaterThan(cases.length / 10);
    expect(cases.length - allowed).toBeGreaterThan(cases.length / 10);
    expect(objectCount).toBeGreaterThan(30);
  }, 120_000);

  it('the pods a user sees through GraphQL are what kubectl with their token gets, per namespace', async () => {
    for (const user of USERS.slice(0, 6)) {
      const kubectl = new Kubectl(h.sim.kubeconfig({ token: user.token }));
      try {
        const seen = await gql(
          '{ cluster(name: "sim") { pods(first: 500) { edges { node { namespace name } } } } }',
          {},
          { authorization: `Bearer ${user.gatewayToken}` },
        );
        if (!seen.data) throw new Error(JSON.stringify(seen));
        const gateway = new Map<string, string[]>();
        for (const p of seen.data?.cluster?.pods?.nodes ?? [])
          gateway.set(p.namespace, [...(gateway.get(p.namespace) ?? []), p.name]);
        for (const ns of namespaces) {
          const result = await kubectl.run(['get', 'pods', '-n', ns, '-o', 'name']);
          const viaKubectl =
            result.code === 0
              ? result.stdout
                  .split('\n')
                  .filter(Boolean)
                  .map((l) => l.replace(/^pod\//, ''))
                  .sort()
              : [];
          if (result.code !== 0) expect(result.stderr, `${user.user} in ${ns}`).toMatch(/forbidden/);
          expect((gateway.get(ns) ?? []).sort(), `${user.user} in ${ns}`).toEqual(viaKubectl);
        }
      } finally {
        kubectl.cleanup();
      }
    }
  }, 120_000);
});
