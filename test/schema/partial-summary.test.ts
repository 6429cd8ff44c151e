/**
 * A caller who may list pods and jobs in some namespaces only gets a cluster summary over
 * those namespaces. With the cache it is summed from per-namespace aggregates kept up to
 * date from watch events; without it, walked from a LIST: both must give the same numbers,
 * for a token with namespace lists and for an identity bound by RBAC in two namespaces, and
 * the numbers must be those of the objects the caller can list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { bindClusterRole, userSubject } from '../auth/kit.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import type { Json } from './helpers.js';

const TEAM = 'partial-team-token-0123456789';
const DEV = 'partial-dev-token-01234567890';
const ADMIN = 'partial-admin-token-012345678';

let sim: Simulator;
let cached: Harness;
let direct: Harness;
let namespaces: string[];

const SUMMARY = `{ cluster(name: "sim") { summary {
  nodes readyNodes pods scheduledPods jobs namespacesOnly
  podsByPhase { pending running succeeded failed unknown total }
  jobsByState { active complete failed suspended total }
  capacity { cpuMillis memoryBytes pods } allocatable { cpuMillis memoryBytes pods }
  requested { cpuMillis memoryBytes } }
  pods(first: 500) { totalCount } jobs(first: 500) { totalCount } } }`;

beforeAll(async () => {
  sim = await startSimulator({
    churnPerSecond: 0,
    scenario: { nodes: 3, pods: 80, jobs: 8, namespaces: 4, seed: 5 },
  });
  sim.pauseActivity();
  namespaces = [...new Set([...sim.store.scan('pods')].map((p) => p.metadata.namespace!))].sort();
  const tokens = [
    { name: 'admin', token: ADMIN, clusters: '*' as const, namespaces: '*' as const },
    { name: 'team', token: TEAM, clusters: '*' as const, namespaces: [namespaces[0], 'no-such-namespace'] },
    { name: 'dev', token: DEV, user: 'dev' },
  ];
  [cached, direct] = await Promise.all([
    startHarness({ existingSimulator: sim, identities: true, tokens }),
    startHarness({ existingSimulator: sim, identities: true, tokens, cache: false }),
  ]);
  for (const ns of namespaces.slice(1, 3))
    await bindClusterRole(cached, {
      name: 'dev-view',
      namespace: ns,
      clusterRole: 'view',
      subjects: [userSubject('dev')],
    });
  for (const h of [cached, direct]) {
    const rbac = h.registry.get('sim')!.informers!.RoleBinding!;
    await waitFor(
      () => rbac.store.list().filter((b) => b.metadata?.name === 'dev-view').length === 2,
      'the bindings',
    );
  }
}, 60_000);

afterAll(async () => {
  await cached?.close();
  await direct?.close();
  await sim?.close();
}, 60_000);

const ask = async (h: Harness, token: string) => {
  const r = await h.query<Json>(SUMMARY, {}, { authorization: `Bearer ${token}` });
  expect(r.errors).toBeUndefined();
  return r.data.cluster;
};

describe('a partial view’s summary', () => {
  for (const [who, token] of [
    ['a token with namespace lists', TEAM],
    ['an identity bound in two namespaces', DEV],
  ] as const) {
    it(`${who}: the same from the aggregates as from a walk, and it counts what the caller lists`, async () => {
      const [a, b] = [await ask(cached, token), await ask(direct, token)];
      expect(b).toEqual(a);
      expect(a.summary.namespacesOnly).toBe(true);
      expect(a.summary.pods).toBe(a.pods.totalCount);
      expect(a.summary.podsByPhase.total).toBe(a.pods.totalCount);
      expect(a.summary.jobs).toBe(a.jobs.totalCount);
      expect(a.summary.jobsByState.total).toBe(a.jobs.totalCount);
      expect(a.pods.totalCount).toBeGreaterThan(0);
      const all = await ask(cached, ADMIN);
      expect(a.pods.totalCount).toBeLessThan(all.pods.totalCount);
    });
  }
});
