/**
 * One operation over several clusters: a cluster that forbids a read or is down yields a
 * partial answer (data for the others, an error with a path for it, and a status saying
 * why), and a principal limited to clusters and namespaces sees nothing beyond them.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { codes, expectedNodeUsage, type Json, SCENARIO, simObjects, terminated } from './helpers.js';

const OTHER = { nodes: 3, pods: 20, jobs: 2, namespaces: 2, seed: 5 };

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
}, 60_000);
afterAll(() => h?.close(), 60_000);

const PARTIAL = `{ clusters { name
  status { ready reachable lastError kinds { kind synced lastError } }
  summary { pods }
  nodes(first: 1) { totalCount }
  pods(first: 3) { totalCount edges { node { name } } } } }`;

describe('partial results', () => {
  it('a cluster whose credentials may not list pods: FORBIDDEN at its path, the rest answered', async () => {
    h = await startHarness({
      simulator: { scenario: SCENARIO },
      extraSimulators: [
        {
          scenario: OTHER,
          adminToken: 'no-pods',
          tokens: {
            'no-pods': {
              user: 'no-pods',
              rules: [{ verbs: ['*'], resources: ['namespaces', 'nodes', 'jobs'] }],
            },
          },
        },
      ],
      waitForSync: false,
    });
    await h.registry.get('sim')!.waitForSync(15_000);
    const limited = h.registry.get('sim-1')!;
    await waitFor(() => limited.status().kinds.find((k) => k.kind === 'Pod')?.lastError, {
      message: 'the pod informer to fail',
      timeoutMs: 5000,
    });

    const r = await h.query<Json>(PARTIAL);
    const [ok, forbidden] = r.data!.clusters;
    expect(ok).toMatchObject({
      name: 'sim',
      status: { ready: true, reachable: true, lastError: null },
      summary: { pods: h.sims[0].store.count('pods') },
      pods: { totalCount: h.sims[0].store.count('pods') },
    });
    expect(forbidden).toMatchObject({
      name: 'sim-1',
      status: { ready: false },
      summary: null,
      pods: null,
      nodes: { totalCount: OTHER.nodes }, // what it may read, it still answers
    });
    expect(forbidden.status.lastError).toMatch(/Pod: .*403/);
    expect(forbidden.status.kinds.find((k: Json) => k.kind === 'Pod')).toMatchObject({ synced: false });
    const paths = r.errors!.map((e) => e.path!.join('.')).sort();
    expect(paths).toEqual(['clusters.1.pods', 'clusters.1.summary']);
    expect(codes(r)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    for (const e of r.errors!) {
      expect(e.extensions).toMatchObject({ cluster: 'sim-1', upstreamStatus: 403 });
      expect(e.message).toMatch(/cluster "sim-1" forbids listing pods/);
    }
  });

  it('a cluster that is down (no cache): UNAVAILABLE at its path, status says unreachable', async () => {
    h = await startHarness({
      simulator: { scenario: SCENARIO },
      extraSimulators: [{ scenario: OTHER }],
      cache: false,
    });
    h.sims[1].injectFaults({ refuseConnectionsSeconds: 20 });

    const r = await h.query<Json>(PARTIAL);
    const [ok, down] = r.data!.clusters;
    expect(ok.pods.totalCount).toBe(h.sims[0].store.count('pods'));
    expect(ok.status).toMatchObject({ ready: false, reachable: true, lastError: null });
    expect(down).toMatchObject({ name: 'sim-1', summary: null, nodes: null, pods: null });
    expect(down.status.reachable).toBe(false);
    expect(down.status.lastError).toMatch(/cluster "sim-1" is unreachable/);
    expect(r.errors!.map((e) => e.path!.join('.')).sort()).toEqual([
      'clusters.1.nodes',
      'clusters.1.pods',
      'clusters.1.summary',
    ]);
    expect(new Set(codes(r))).toEqual(new Set(['UNAVAILABLE']));
  });
});

describe('a principal limited to one cluster and one namespace', () => {
  it('sees only its namespace in lists, counts, relations, lookups and summaries', async () => {
    // The scenario is deterministic per seed: this namespace has pods and jobs (asserted below).
    const ns = 'shipping-prod';
    h = await startHarness({
      simulator: { scenario: SCENARIO },
      extraSimulators: [{ scenario: OTHER }],
      tokens: [
        { token: 'admin-token', name: 'admin', clusters: '*', namespaces: '*' },
        { token: 'team-token', name: 'team', clusters: ['sim'], namespaces: [ns] },
      ],
    });
    const jobs = simObjects(h, 'jobs');
    expect(jobs.some((j) => j.metadata.namespace === ns)).toBe(true);
    const admin = { authorization: 'Bearer admin-token' };
    const team = { authorization: 'Bearer team-token' };
    const pods = simObjects(h, 'pods');
    const mine = pods.filter((p) => p.metadata.namespace === ns);
    const other = pods.find((p) => p.metadata.namespace !== ns)!;

    const ids = await h.query<Json>(
      `query($ns: String!, $name: String!) { cluster(name: "sim") { pod(namespace: $ns, name: $name) { id } } }`,
      { ns: other.metadata.namespace, name: other.metadata.name },
      admin,
    );
    const otherId = ids.data.cluster.pod.id;

    const r = await h.query<Json>(
      `query($otherNs: String!, $otherName: String!, $otherId: ID!) {
        clusters { name }
        cluster(name: "sim") {
          status { kinds { kind objects resourceVersion lastEventAt } }
          summary { pods jobs nodes namespacesOnly podsByPhase { total } }
          namespaces { edges { node { name } } }
          pods(first: 500) { totalCount edges { node { namespace } } }
          otherNs: pods(namespace: $otherNs) { totalCount }
          jobs { totalCount }
          otherPod: pod(namespace: $otherNs, name: $otherName) { name }
        }
        byId: node(id: $otherId) { id }
      }`,
      { otherNs: other.metadata.namespace, otherName: other.metadata.name, otherId },
      team,
    );
    expect(r.errors).toBeUndefined();
    const c = r.data.cluster;
    expect(r.data.clusters).toEqual([{ name: 'sim' }]);
    expect(c.namespaces.edges.map((e: Json) => e.node.name)).toEqual([ns]);
    expect(c.pods.totalCount).toBe(mine.length);
    expect(new Set(c.pods.edges.map((e: Json) => e.node.namespace))).toEqual(new Set([ns]));
    expect(c.otherNs.totalCount).toBe(0);
    expect(c.jobs.totalCount).toBe(jobs.filter((j) => j.metadata.namespace === ns).length);
    expect(c.otherPod).toBeNull();
    expect(r.data.byId).toBeNull();
    expect(c.summary).toEqual({
      pods: mine.length,
      jobs: c.jobs.totalCount,
      nodes: h.sim.store.count('nodes'),
      namespacesOnly: true,
      podsByPhase: { total: mine.length },
    });
    const objects = Object.fromEntries(c.status.kinds.map((k: Json) => [k.kind, k.objects]));
    expect(objects).toEqual({
      Namespace: null,
      Node: h.sim.store.count('nodes'),
      Pod: null,
      Job: null,
      Event: null,
    });
    // What moves with activity in namespaces it may not see is withheld too (issue #10).
    for (const k of c.status.kinds) {
      if (k.kind === 'Node') expect(k.resourceVersion).toMatch(/^\d+$/);
      else
        expect({ kind: k.kind, rv: k.resourceVersion, at: k.lastEventAt }).toEqual({
          kind: k.kind,
          rv: null,
          at: null,
        });
    }
    const byNode = await h.query<Json>(
      `{ cluster(name: "sim") { nodes { edges { node { name podCount pods { totalCount } } } } } }`,
      undefined,
      team,
    );
    expect(byNode.errors).toBeUndefined();
    c.nodes = byNode.data.cluster.nodes;
    let onNodes = 0;
    for (const { node } of c.nodes.edges) {
      const here = mine.filter((p) => p.spec?.nodeName === node.name);
      onNodes += here.length;
      expect(node.pods.totalCount).toBe(here.length);
      expect(node.podCount).toBe(here.filter((p) => !terminated(p)).length);
    }
    expect(onNodes).toBeGreaterThan(0);
    // The unrestricted count differs somewhere, or this test would not show the restriction.
    expect(
      c.nodes.edges.some((e: Json) => e.node.podCount !== expectedNodeUsage(h!, e.node.name).podCount),
    ).toBe(true);

    // A hidden cluster answers as a missing one (issue #10): its name is not confirmed.
    const hidden = await h.query<Json>(`{ cluster(name: "sim-1") { name } }`, undefined, team);
    const missing = await h.query<Json>(`{ cluster(name: "no-such-cluster") { name } }`, undefined, team);
    expect(hidden).toEqual({ data: { cluster: null } });
    expect(missing).toEqual(hidden);
    const seen = await h.query<Json>(`{ clusters { name } }`, undefined, admin);
    expect(seen.data.clusters).toEqual([{ name: 'sim' }, { name: 'sim-1' }]);
  });
});
