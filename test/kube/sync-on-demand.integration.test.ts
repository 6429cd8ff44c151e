/**
 * A read of a whole kind not in memory yet waits (at most INITIAL_LIST_WAIT_MS) for that
 * kind's informer instead of asking the API server for the same LIST itself
 * (Cluster.initialList); past the wait, that cluster's part of the page is UNAVAILABLE with
 * reason SYNCING. A cluster asked for while it waits at the sync gate goes to the head of the
 * queue. So a page polled while a fleet syncs costs each kind one LIST, not one per poll. The
 * RBAC kinds are listed first, so identities are authorised while the data kinds still list.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ACCESS_KINDS } from '../../src/kube/kinds.js';
import { INITIAL_LIST_WAIT_MS } from '../../src/kube/reader.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { type Harness, requestCount, startHarness } from '../helpers/harness.js';
import { RbacKit } from '../simulator/rbac-kit.js';

const SMALL = { nodes: 3, pods: 40, jobs: 4, namespaces: 2 };

describe('a read of a cluster waiting its turn at the sync gate', () => {
  const sims: Simulator[] = [];
  let harness: Harness | undefined;
  afterAll(async () => {
    await harness?.close();
    await Promise.all(sims.map((s) => s.close()));
  });

  it('lists nothing itself, says SYNCING after the wait, and moves its cluster to the head of the queue', async () => {
    // One cluster syncs at a time; the first one's pods take longer to list than a read waits.
    for (const seed of [1, 2, 3])
      sims.push(await startSimulator({ churnPerSecond: 0, scenario: { ...SMALL, seed } }));
    sims[0].injectFaults({ latencyMs: INITIAL_LIST_WAIT_MS + 2000, verbs: ['LIST'], resources: ['pods'] });
    harness = await startHarness({ existingSimulators: sims, waitForSync: false, concurrentSyncs: 1 });
    const lists = async (sim: Simulator, resource: string) =>
      requestCount(await harness!.upstream(sim), 'LIST', resource);
    const registry = harness.registry;
    // sim-1 and then sim-2 wait their turn behind sim.
    expect(await lists(sims[2], 'pods')).toBe(0);

    const SUMMARY = '{ cluster(name: "sim-2") { summary { nodes pods jobs } } }';
    type Summary = { cluster: { summary: { nodes: number; pods: number; jobs: number } | null } };
    const early = await harness.query<Summary>(SUMMARY);
    expect(early.data?.cluster.summary).toBeNull();
    expect(early.errors?.[0]).toMatchObject({
      path: ['cluster', 'summary'],
      extensions: { code: 'UNAVAILABLE', reason: 'SYNCING', cluster: 'sim-2' },
    });
    // It read nothing from sim-2's API server: its informers will.
    for (const resource of ['pods', 'nodes', 'jobs']) expect(await lists(sims[2], resource)).toBe(0);

    // Asked for, sim-2 syncs before sim-1, which was ahead of it in the queue.
    expect(await registry.get('sim-2')!.waitForSync(20_000)).toBe(true);
    expect(await lists(sims[1], 'pods')).toBe(0);
    const later = await harness.query<Summary>(SUMMARY);
    expect(later.errors).toBeUndefined();
    expect(later.data?.cluster.summary).toEqual({
      nodes: [...sims[2].store.scan('nodes')].length,
      pods: [...sims[2].store.scan('pods')].length,
      jobs: [...sims[2].store.scan('jobs')].length,
    });
    expect(await registry.waitForSync(20_000)).toBe(true);
    // Each kind of sim-2 listed once, by its informer.
    for (const resource of ['pods', 'nodes', 'jobs']) expect(await lists(sims[2], resource)).toBe(1);
  }, 60_000);
});

describe('an identity reading while the pods still list', () => {
  const NS = 'on-demand-a';
  const OTHER_NS = 'on-demand-b';
  const OPS = 'on-demand-ops-token-0123456789';
  const OTHER = 'on-demand-other-token-0123456789';
  let sim: Simulator | undefined;
  let harness: Harness | undefined;
  afterAll(async () => {
    await harness?.close();
    await sim?.close();
  });

  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const TOKENS = [
    { name: 'ops', token: OPS, user: 'ops' },
    { name: 'other', token: OTHER, user: 'other' },
  ];

  /** A gateway with identities on `sim` whose pod LISTs take `latencyMs`, once its RBAC kinds synced. */
  async function startWithSlowPodLists(latencyMs: number) {
    sim!.injectFaults({ latencyMs, verbs: ['LIST'], resources: ['pods'] });
    harness = await startHarness({
      existingSimulator: sim,
      identities: true,
      waitForSync: false,
      tokens: TOKENS,
    });
    const cluster = harness.registry.get('sim')!;
    expect(await cluster.waitForSync(10_000, ACCESS_KINDS)).toBe(true);
    return { gateway: harness, cluster };
  }

  it('is authorised from the RBAC mirror (listed first) and sees only the pods it may list', async () => {
    const log: string[] = [];
    sim = await startSimulator({
      churnPerSecond: 0,
      scenario: { ...SMALL, seed: 5 },
      podLifecycle: false,
      log: (line) => log.push(line),
    });
    const rbac = new RbacKit(sim);
    for (const ns of [NS, OTHER_NS]) {
      await rbac.namespace(ns);
      for (const i of [0, 1])
        await rbac.create(`/api/v1/namespaces/${ns}/pods`, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `p-${i}`, namespace: ns },
          spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
        });
    }
    await rbac.clusterRoleBinding('on-demand-ops', 'cluster-admin', [{ user: 'ops' }]);
    // `other` may list pods in OTHER_NS only: it lacks `list` on pods in NS and cluster-wide.
    await rbac.roleBinding(OTHER_NS, 'on-demand-other', 'view', [{ user: 'other' }]);
    const { gateway, cluster } = await startWithSlowPodLists(1500);
    expect(cluster.isSynced('Pod')).toBe(false);
    const mark = log.length;

    const PODS =
      '{ cluster(name: "sim") { pods(first: 500) { totalCount edges { node { namespace name } } } } }';
    type Pods = {
      cluster: { pods: { totalCount: number; edges: { node: { namespace: string; name: string } }[] } };
    };
    const [ops, other] = await Promise.all([
      gateway.query<Pods>(PODS, {}, auth(OPS)),
      gateway.query<Pods>(PODS, {}, auth(OTHER)),
    ]);
    expect(ops.errors).toBeUndefined();
    expect(ops.data?.cluster.pods.totalCount).toBe([...sim.store.scan('pods')].length);
    expect(other.errors).toBeUndefined();
    const seen = other.data?.cluster.pods.edges.map((e) => `${e.node.namespace}/${e.node.name}`);
    expect(seen?.sort()).toEqual([`${OTHER_NS}/p-0`, `${OTHER_NS}/p-1`]);
    expect(other.data?.cluster.pods.totalCount).toBe(2);
    expect(cluster.isSynced('Pod')).toBe(true);
    // The request log lines each LIST when answered. One LIST of every pod: the informer's,
    // which ops's page waited for;
    // `other` read its own namespace from the API server, where it may list.
    const podLists = log
      .slice(mark)
      .map((line) => decodeURIComponent(line))
      .filter((line) => /GET \S*\/pods(\?|\s)/.test(line) && !line.includes('watch='));
    expect(podLists.filter((line) => line.startsWith('GET /api/v1/pods?'))).toHaveLength(1);
    for (const line of podLists.filter((l) => !l.startsWith('GET /api/v1/pods?')))
      expect(line).toContain(`GET /api/v1/namespaces/${OTHER_NS}/pods?`);
  }, 60_000);

  it('past the wait, SYNCING reaches only a caller whose read is the whole kind; one limited to a namespace is read there', async () => {
    // A new gateway on the same cluster (the test above made its objects), whose pods take
    // longer to list than a read waits for them.
    await harness?.close();
    const { gateway, cluster } = await startWithSlowPodLists(INITIAL_LIST_WAIT_MS + 2500);
    const SUMMARY = '{ cluster(name: "sim") { summary { pods } } }';
    type Summary = { cluster: { summary: { pods: number } | null } };
    // Checked before asking, not after: `other`'s own LIST meets the same injected latency,
    // so by the time it is answered the informer's LIST may have ended too (a CI run saw it).
    expect(cluster.isSynced('Pod')).toBe(false);
    const [ops, other] = await Promise.all([
      gateway.query<Summary>(SUMMARY, {}, auth(OPS)),
      gateway.query<Summary>(SUMMARY, {}, auth(OTHER)),
    ]);
    // ops may list every pod: its summary is the whole kind, which is still listing.
    expect(ops.data).toEqual({ cluster: { summary: null } });
    expect(ops.errors).toHaveLength(1);
    const { kind, ...rest } = (ops.errors?.[0]?.extensions ?? {}) as Record<string, unknown>;
    expect(['Pod', 'Job']).toContain(kind);
    expect(rest).toEqual({ code: 'UNAVAILABLE', reason: 'SYNCING', cluster: 'sim', retryAfterSeconds: 5 });
    // `other` lacks list on pods outside OTHER_NS: its summary is read in OTHER_NS alone (a
    // small LIST of its own), answered now, with its two pods and none of NS's.
    expect(other.errors).toBeUndefined();
    expect(other.data).toEqual({ cluster: { summary: { pods: 2 } } });

    expect(await cluster.waitForSync(15_000)).toBe(true);
    const later = await gateway.query<Summary>(SUMMARY, {}, auth(OPS));
    expect(later.errors).toBeUndefined();
    expect(later.data?.cluster.summary?.pods).toBe([...sim!.store.scan('pods')].length);
  }, 60_000);
});

describe('a page over clusters, one still listing past the wait', () => {
  const sims: Simulator[] = [];
  let harness: Harness | undefined;
  afterAll(async () => {
    await harness?.close();
    await Promise.all(sims.map((s) => s.close()));
  });

  it('answers the synced cluster, and the other UNAVAILABLE (reason SYNCING) at its path, then in full once listed', async () => {
    for (const seed of [1, 2])
      sims.push(await startSimulator({ churnPerSecond: 0, scenario: { ...SMALL, seed } }));
    // sim-1's pods take longer to list than a read waits for them.
    sims[1].injectFaults({ latencyMs: INITIAL_LIST_WAIT_MS + 2500, verbs: ['LIST'], resources: ['pods'] });
    harness = await startHarness({ existingSimulators: sims, waitForSync: false });
    const registry = harness.registry;
    expect(await registry.get('sim')!.waitForSync(10_000)).toBe(true);
    expect(registry.get('sim-1')!.isSynced('Pod')).toBe(false);

    const PAGE = '{ clusters { name summary { pods } } }';
    type Page = { clusters: { name: string; summary: { pods: number } | null }[] };
    const count = (sim: Simulator) => [...sim.store.scan('pods')].length;
    const early = await harness.query<Page>(PAGE);
    expect(early.data?.clusters).toEqual([
      { name: 'sim', summary: { pods: count(sims[0]) } },
      { name: 'sim-1', summary: null },
    ]);
    expect(early.errors).toHaveLength(1);
    expect(early.errors?.[0]).toMatchObject({
      path: ['clusters', 1, 'summary'],
      extensions: { code: 'UNAVAILABLE', reason: 'SYNCING', cluster: 'sim-1', retryAfterSeconds: 5 },
    });
    // Its pods still list; its jobs wait behind them (a cluster lists one kind at a time).
    const kind = early.errors?.[0].extensions?.kind as string;
    expect(['Pod', 'Job']).toContain(kind);
    expect(early.errors?.[0].message).toMatch(
      new RegExp(
        `^cluster "sim-1" is still listing its ${kind} objects for the first time \\(waited 5000 ms\\)`,
      ),
    );

    expect(await registry.get('sim-1')!.waitForSync(15_000)).toBe(true);
    const later = await harness.query<Page>(PAGE);
    expect(later.errors).toBeUndefined();
    expect(later.data?.clusters[1]).toEqual({ name: 'sim-1', summary: { pods: count(sims[1]) } });
    // One LIST of sim-1's pods: the informer's, which the early page waited for.
    expect(requestCount(await harness.upstream(sims[1]), 'LIST', 'pods')).toBe(1);
  }, 60_000);
});
