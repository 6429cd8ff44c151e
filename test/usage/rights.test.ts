/**
 * Who may see usage, decided as the API server would decide `kubectl top`: a node's usage
 * needs `get` on `nodes` in `metrics.k8s.io`, a pod's `get` on `pods` in `metrics.k8s.io`
 * in its namespace — through the same access path as every read (RBAC compiled from the
 * cluster's objects; a static principal's lists). Without the right the field is null,
 * with ONE FORBIDDEN error per cluster, and the rest of the answer is intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatorOptions } from '../../src/simulator/server.js';
import { bindClusterRole, gatewayQuery, RBAC_API, simCreate, userSubject, withNodes } from '../auth/kit.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import type { Json } from '../subscriptions/clients.js';
import { apiPods, metricsLists } from './kit.js';

const ADMIN = 'usage-admin-token-0123456789ab';
const LISTER = 'usage-lister-token-0123456789ab';
const VIEWER = 'usage-viewer-token-0123456789ab';
const TEAM = 'usage-team-token-0123456789abcd';

let h: Harness;
let NS_A: string;
let NS_B: string;

const query = gatewayQuery(() => h);
const as = (token: string, text: string, variables: Record<string, unknown> = {}) =>
  query(text, variables, { authorization: `Bearer ${token}` });

beforeAll(async () => {
  const clock = new FakeClock(Date.parse('2026-11-30T12:00:07Z'));
  h = await startHarness({
    simulator: {
      scenario: { nodes: 3, pods: 40, jobs: 1, namespaces: 3, seed: 21 },
      clock: clock as unknown as SimulatorOptions['clock'],
      nodeLeaseRenewMs: 0,
    },
    clock,
    identities: true,
    tokens: [
      { name: 'admin', token: ADMIN, clusters: '*', namespaces: '*' },
      { name: 'lister', token: LISTER, user: 'lister' },
      { name: 'viewer', token: VIEWER, user: 'viewer' },
    ],
  });
  h.sim.pauseActivity();
  const pods = (
    await as(ADMIN, '{ cluster(name: "sim") { pods(first: 500) { edges { node { namespace } } } } }')
  ).data.cluster.pods.nodes;
  [NS_A, NS_B] = [...new Set<string>(pods.map((p: Json) => p.namespace))].sort();
  // lister: pods and nodes everywhere, nothing of metrics.k8s.io.
  await simCreate(h, `${RBAC_API}/clusterroles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'pod-and-node-lister' },
    rules: [{ apiGroups: [''], resources: ['pods', 'nodes', 'namespaces'], verbs: ['get', 'list', 'watch'] }],
  });
  await bindClusterRole(h, {
    name: 'lister',
    clusterRole: 'pod-and-node-lister',
    subjects: [userSubject('lister')],
  });
  // viewer: `view` in NS_A (metrics-server's aggregated reader is part of it), and nodes (not their metrics).
  await bindClusterRole(h, {
    name: 'viewer',
    namespace: NS_A,
    clusterRole: 'view',
    subjects: [userSubject('viewer')],
  });
  await simCreate(h, `${RBAC_API}/clusterroles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'node-lister' },
    rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }],
  });
  await bindClusterRole(h, {
    name: 'viewer-nodes',
    clusterRole: 'node-lister',
    subjects: [userSubject('viewer')],
  });
  await waitFor(
    async () =>
      (await as(LISTER, '{ cluster(name: "sim") { pods { totalCount } } }')).data?.cluster?.pods.totalCount >
        0 &&
      (await as(VIEWER, '{ cluster(name: "sim") { nodes { totalCount } } }')).data?.cluster?.nodes
        .totalCount > 0 &&
      (await as(VIEWER, '{ cluster(name: "sim") { pods { totalCount } } }')).data?.cluster?.pods.totalCount >
        0,
    'the gateway to apply the bindings',
  );
}, 60_000);

afterAll(() => h?.close(), 30_000);

const PAGE = `{ cluster(name: "sim") {
  nodes { edges { node { name usage { cpuMillis } utilization { cpu } usageHistory { timestamp } } } }
  pods(first: 500) { edges { node { name namespace phase usage { cpuMillis } utilization { cpuOfRequest }
    containers { name usage { cpuMillis } } } } }
  summary { nodes pods usage { cpuMillis } podsNearMemoryLimit podsOverCpuRequest }
} }`;

describe('usage rights', () => {
  it('a caller who may list pods and nodes but not get their metrics gets nulls, one FORBIDDEN, and costs no LIST', async () => {
    const before = await metricsLists(h);
    const res = await as(LISTER, PAGE);
    const c = res.data.cluster;
    expect(c.nodes.nodes.length).toBe(3);
    expect(c.pods.nodes.length).toBe(40);
    for (const n of c.nodes.nodes)
      expect([n.usage, n.utilization, n.usageHistory]).toEqual([null, null, null]);
    for (const p of c.pods.nodes) {
      expect(p.name).toBeTruthy();
      expect([p.usage, p.utilization]).toEqual([null, null]);
      for (const container of p.containers) expect(container.usage).toBeNull();
    }
    expect(c.summary).toMatchObject({ nodes: 3, pods: 40, usage: null, podsNearMemoryLimit: null });
    expect(res.errors).toHaveLength(1);
    expect(res.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', cluster: 'sim' });
    expect(res.errors[0].message).toContain('metrics.k8s.io');
    expect(await metricsLists(h)).toEqual(before);
  });

  it('a caller with view in one namespace sees the usage of its pods there only, and no node usage', async () => {
    const res = await as(VIEWER, PAGE);
    const c = res.data.cluster;
    const api = await apiPods(h);
    expect(c.pods.nodes.length).toBeGreaterThan(0);
    let seen = 0;
    for (const p of c.pods.nodes) {
      expect(p.namespace).toBe(NS_A);
      const a = api.get(`${p.namespace}/${p.name}`);
      if (!a) expect(p.usage).toBeNull();
      else {
        seen += 1;
        expect(p.usage.cpuMillis).toBeCloseTo(a.cpuMillis, 9);
      }
    }
    expect(seen).toBeGreaterThan(0);
    for (const n of c.nodes.nodes) expect(n.usage).toBeNull();
    expect(c.summary.usage).toBeNull();
    expect(res.errors).toHaveLength(1);
    expect(res.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', cluster: 'sim' });
    expect(res.errors[0].message).toContain('nodes.metrics.k8s.io');
    // The signals count its namespace only, as the admin's answer for that namespace says.
    const admin = (
      await as(
        ADMIN,
        `query($ns: String!) { cluster(name: "sim") {
          near: pods(namespace: $ns, memoryNearLimit: true) { totalCount }
          over: pods(namespace: $ns, cpuOverRequest: true) { totalCount } } }`,
        { ns: NS_A },
      )
    ).data.cluster;
    expect(c.summary.podsNearMemoryLimit).toBe(admin.near.totalCount);
    expect(c.summary.podsOverCpuRequest).toBe(admin.over.totalCount);
  });

  it('ordering by usage the caller may not see fails with FORBIDDEN on that field, not a silent name order', async () => {
    const ORDERS = `{ cluster(name: "sim") {
      byCpu: nodes(orderBy: { field: CPU_USAGE, direction: DESC }) { totalCount }
      podsByCpu: pods(orderBy: { field: CPU_USAGE, direction: DESC }) { totalCount }
      byName: pods { totalCount }
    } }`;
    const lister = await as(LISTER, ORDERS);
    expect(lister.data.cluster).toEqual({ byCpu: null, podsByCpu: null, byName: { totalCount: 40 } });
    expect(lister.errors.map((e: Json) => [e.path.join('.'), e.extensions.code])).toEqual(
      expect.arrayContaining([
        ['cluster.byCpu', 'FORBIDDEN'],
        ['cluster.podsByCpu', 'FORBIDDEN'],
      ]),
    );
    expect(lister.errors).toHaveLength(2);
    expect(lister.errors.find((e: Json) => e.path[1] === 'podsByCpu').message).toContain(
      'ordering pods by CPU_USAGE needs usage: the caller may not get pods.metrics.k8s.io',
    );
    // The viewer may order its namespace's pods by usage, but not the nodes (no node metrics).
    const viewer = await as(VIEWER, ORDERS);
    expect(viewer.data.cluster.byCpu).toBeNull();
    expect(viewer.data.cluster.podsByCpu.totalCount).toBeGreaterThan(0);
    expect(viewer.errors.map((e: Json) => [e.path.join('.'), e.extensions.code])).toEqual([
      ['cluster.byCpu', 'FORBIDDEN'],
    ]);
  });

  it('never shows another namespace’s usage: not by lookup, list, order or filter', async () => {
    const other = [...h.sim.store.scan('pods')].find(
      (p) => p.metadata.namespace === NS_B && (p.status as Json)?.phase === 'Running',
    )!;
    const res = await as(
      VIEWER,
      `query($ns: String!, $name: String!) { cluster(name: "sim") {
        pod(namespace: $ns, name: $name) { usage { cpuMillis } }
        there: pods(namespace: $ns) { totalCount }
        byCpu: pods(first: 500, orderBy: { field: CPU_USAGE, direction: DESC }) { edges { node { namespace usage { cpuMillis } } } }
        near: pods(memoryNearLimit: true) { edges { node { namespace } } }
      } }`,
      { ns: NS_B, name: other.metadata.name },
    );
    const c = res.data.cluster;
    expect(c.pod).toBeNull();
    expect(c.there.totalCount).toBe(0);
    for (const e of [...c.byCpu.nodes, ...c.near.nodes]) expect(e.namespace).toBe(NS_A);
    const cpu = c.byCpu.nodes.filter((p: Json) => p.usage).map((p: Json) => p.usage.cpuMillis);
    expect(cpu).toEqual([...cpu].sort((a, b) => b - a));
  });
});

describe('usage rights of a static principal', () => {
  let team: Harness;
  beforeAll(async () => {
    team = await startHarness({
      existingSimulator: h.sim,
      tokens: [{ name: 'team', token: TEAM, clusters: ['sim'], namespaces: [NS_A] }],
    });
  }, 60_000);
  afterAll(() => team?.close(), 30_000);

  it('follows its lists: node usage with the cluster, pod usage in its namespaces', async () => {
    const res = withNodes(await team.query<Json>(PAGE, {}, { authorization: `Bearer ${TEAM}` }));
    expect(res.errors).toBeUndefined();
    const c = res.data.cluster;
    for (const n of c.nodes.nodes) expect(n.usage.cpuMillis).toBeGreaterThan(0);
    expect(c.pods.nodes.every((p: Json) => p.namespace === NS_A)).toBe(true);
    expect(c.pods.nodes.some((p: Json) => p.usage)).toBe(true);
  });
});

describe('usage rights where the API server decides (authorization: subjectAccessReview)', () => {
  let sar: Harness;
  beforeAll(async () => {
    sar = await startHarness({
      existingSimulator: h.sim,
      identities: true,
      authorization: 'subjectAccessReview',
      tokens: [
        { name: 'lister', token: LISTER, user: 'lister' },
        { name: 'viewer', token: VIEWER, user: 'viewer' },
      ],
    });
  }, 60_000);
  afterAll(() => sar?.close(), 30_000);

  const ask = async (token: string, text: string, variables: Record<string, unknown> = {}) =>
    withNodes(await sar.query<Json>(text, variables, { authorization: `Bearer ${token}` }));

  it('asks the reviews for metrics.k8s.io as for any read: lister forbidden, viewer in its namespace only', async () => {
    const page = `query($ns: String!) { cluster(name: "sim") {
      nodes { edges { node { name usage { cpuMillis } } } }
      pods(namespace: $ns) { edges { node { name usage { cpuMillis } } } }
    } }`;
    const lister = await ask(LISTER, page, { ns: NS_A });
    expect(lister.data.cluster.pods.nodes.length).toBeGreaterThan(0);
    expect(lister.data.cluster.pods.nodes.every((p: Json) => p.usage === null)).toBe(true);
    expect(lister.errors).toHaveLength(1);
    expect(lister.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', cluster: 'sim' });

    const viewer = await ask(VIEWER, page, { ns: NS_A });
    expect(viewer.data.cluster.pods.nodes.some((p: Json) => p.usage)).toBe(true);
    expect(viewer.data.cluster.nodes.nodes.every((n: Json) => n.usage === null)).toBe(true);
    expect(viewer.errors).toHaveLength(1);
    expect(viewer.errors[0].message).toContain('nodes.metrics.k8s.io');
    const elsewhere = await ask(VIEWER, page, { ns: NS_B });
    expect(elsewhere.data.cluster.pods.nodes).toEqual([]);
  });
});
