/**
 * Usage fields are answered synchronously once the request holds its window's answer
 * (loaders/usage.ts `nodeNow`/`podNow`: no promise and no DataLoader per node or pod), and
 * through the DataLoader while that answer is being fetched. Both paths must give the same
 * answer — values, nulls, rights and the one error per cluster and code. The first request
 * of this file finds the cluster's metrics cache empty (asserted: no metrics LIST before
 * it), so its usage fields wait for the fetch; the second finds the answer cached and is
 * answered in memory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatorOptions } from '../../src/simulator/server.js';
import { bindClusterRole, gatewayQuery, RBAC_API, simCreate, userSubject } from '../auth/kit.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import type { Json } from '../subscriptions/clients.js';
import { apiNodes, apiPods, metricsLists } from './kit.js';

const ADMIN = 'memo-admin-token-0123456789abcd';
const MIXED = 'memo-mixed-token-0123456789abcd';

let h: Harness;
let NS_A: string;

const query = gatewayQuery(() => h);
const as = (token: string, text: string) => query(text, {}, { authorization: `Bearer ${token}` });

beforeAll(async () => {
  const clock = new FakeClock(Date.parse('2026-11-30T12:00:07Z'));
  h = await startHarness({
    simulator: {
      scenario: { nodes: 3, pods: 40, jobs: 1, namespaces: 3, seed: 33 },
      clock: clock as unknown as SimulatorOptions['clock'],
      nodeLeaseRenewMs: 0,
    },
    clock,
    identities: true,
    tokens: [
      { name: 'admin', token: ADMIN, clusters: '*', namespaces: '*' },
      { name: 'mixed', token: MIXED, user: 'mixed' },
    ],
  });
  h.sim.pauseActivity();
  const pods = (
    await as(ADMIN, '{ cluster(name: "sim") { pods(first: 500) { edges { node { namespace } } } } }')
  ).data.cluster.pods.nodes;
  [NS_A] = [...new Set<string>(pods.map((p: Json) => p.namespace))].sort();
  // mixed: pods and nodes everywhere, the metrics of pods in NS_A only (`view` there), no node metrics.
  await simCreate(h, `${RBAC_API}/clusterroles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'memo-lister' },
    rules: [{ apiGroups: [''], resources: ['pods', 'nodes', 'namespaces'], verbs: ['get', 'list', 'watch'] }],
  });
  await bindClusterRole(h, {
    name: 'memo-lister',
    clusterRole: 'memo-lister',
    subjects: [userSubject('mixed')],
  });
  await bindClusterRole(h, {
    name: 'memo-view',
    namespace: NS_A,
    clusterRole: 'view',
    subjects: [userSubject('mixed')],
  });
  await waitFor(
    async () =>
      (await as(MIXED, '{ cluster(name: "sim") { pods { totalCount } } }')).data?.cluster?.pods.totalCount ===
      40,
    'the gateway to apply the bindings',
  );
}, 60_000);

afterAll(() => h?.close(), 30_000);

const PAGE = `{ cluster(name: "sim") {
  nodes { edges { node { name usage { cpuMillis memoryBytes timestamp window } utilization { cpu memory } } } }
  pods(first: 500) { edges { node { namespace name usage { cpuMillis memoryBytes timestamp }
    utilization { cpuOfRequest memoryOfLimit } containers { name usage { cpuMillis memoryBytes } } } } }
} }`;

let mixedFirst: Json;

describe('usage answered from the request’s window answer', () => {
  it('equals the answer that waited for the fetch, rights and errors included', async () => {
    expect(await metricsLists(h)).toEqual({ nodes: 0, pods: 0 });
    const waited = await as(MIXED, PAGE);
    expect(await metricsLists(h)).toEqual({ nodes: 0, pods: 1 });
    const inMemory = await as(MIXED, PAGE);
    expect(await metricsLists(h)).toEqual({ nodes: 0, pods: 1 });
    expect(inMemory).toEqual(waited);
    mixedFirst = waited;

    // And that answer is right: usage of NS_A's running pods, nulls elsewhere, one FORBIDDEN.
    const c = inMemory.data.cluster;
    const api = await apiPods(h);
    let seen = 0;
    for (const p of c.pods.nodes) {
      const a = api.get(`${p.namespace}/${p.name}`);
      if (p.namespace !== NS_A || !a) {
        expect([p.usage, p.utilization]).toEqual([null, null]);
        for (const container of p.containers) expect(container.usage).toBeNull();
        continue;
      }
      seen += 1;
      expect(p.usage.cpuMillis).toBeCloseTo(a.cpuMillis, 9);
      expect(p.containers.some((x: Json) => x.usage)).toBe(true);
    }
    expect(seen).toBeGreaterThan(0);
    expect(c.pods.nodes.some((p: Json) => p.namespace !== NS_A)).toBe(true);
    for (const n of c.nodes.nodes) expect([n.usage, n.utilization]).toEqual([null, null]);
    expect(inMemory.errors).toHaveLength(1);
    expect(inMemory.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', cluster: 'sim' });
  });

  it('nodes too: the first page waits for the node metrics, the next is answered in memory, both as the API', async () => {
    const before = await metricsLists(h); // the test above read the pod metrics itself too
    expect(before.nodes).toBe(0);
    const waited = await as(ADMIN, PAGE);
    const inMemory = await as(ADMIN, PAGE);
    expect(await metricsLists(h)).toEqual({ nodes: 1, pods: before.pods });
    expect(inMemory).toEqual(waited);
    expect(inMemory.errors).toBeUndefined();
    const api = await apiNodes(h);
    for (const n of inMemory.data.cluster.nodes.nodes) {
      expect(n.usage.cpuMillis).toBeCloseTo(api.get(n.name)!.cpuMillis, 9);
      expect(n.utilization.cpu).toBeGreaterThan(0);
    }
  });

  it('a caller without node metrics rights gets no node usage from the cached answer either', async () => {
    // The node metrics are cached now (the admin's pages above): this page reads them in memory.
    const again = await as(MIXED, PAGE);
    expect(again).toEqual(mixedFirst);
    for (const n of again.data.cluster.nodes.nodes) expect([n.usage, n.utilization]).toEqual([null, null]);
  });
});
