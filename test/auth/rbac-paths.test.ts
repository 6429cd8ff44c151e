/**
 * Every read path obeys the caller's own RBAC (issue #11): a user bound to the cluster's
 * `view` ClusterRole in one namespace probes every path — lists and totalCount, filters,
 * lookups, relations, counts and summaries, status figures, global IDs and cursors copied
 * from an admin's answers, subscriptions, errors, /metrics — and finds nothing of another
 * namespace, and no node (view grants none). RBAC objects are made through the
 * simulator's API; the gateway learns them from its informers, as from a real cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayStats } from '../../src/loaders/streams.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { type Json, subscribe } from '../subscriptions/clients.js';
import { bindClusterRole, gatewayQuery, groupSubject, simCreate, userSubject } from './kit.js';

const ADMIN = 'rbac-admin-token-0123456789';
const ALICE = 'rbac-alice-token-0123456789';
const NOBODY = 'rbac-nobody-token-012345678';
const BOB = 'rbac-bob-token-01234567890';

let h: Harness;

/** A query through the gateway, its connections given `nodes` too. */
const gql = gatewayQuery(() => h);
let NS_A: string;
let NS_B: string;

const as = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  h = await startHarness({
    simulator: { scenario: { nodes: 3, pods: 60, jobs: 6, namespaces: 3, seed: 11 } },
    identities: true,
    tokens: [
      { name: 'admin', token: ADMIN, clusters: '*', namespaces: '*' },
      { name: 'alice', token: ALICE, user: 'alice', groups: ['team-a'] },
      { name: 'nobody', token: NOBODY, user: 'nobody' },
      { name: 'bob', token: BOB, user: 'bob' },
    ],
  });
  h.sim.pauseActivity();
  // Two namespaces with pods and jobs.
  const res = await gql(
    '{ cluster(name: "sim") { jobs(first: 100) { edges { node { namespace } } } } }',
    {},
    as(ADMIN),
  );
  const withJobs: string[] = [
    ...new Set<string>(res.data.cluster.jobs.nodes.map((j: Json) => j.namespace)),
  ].sort();
  [NS_A, NS_B] = withJobs;
  expect(NS_B).toBeDefined();
  await bindClusterRole(h, {
    name: 'alice-view',
    namespace: NS_A,
    clusterRole: 'view',
    subjects: [groupSubject('team-a')],
  });
  for (const namespace of [NS_A, NS_B])
    await bindClusterRole(h, {
      name: 'bob-view',
      namespace,
      clusterRole: 'view',
      subjects: [userSubject('bob')],
    });
  // The gateway has seen the bindings when alice sees the cluster and bob both namespaces.
  await waitFor(async () => {
    const r = await gql('{ clusters { name } }', {}, as(ALICE));
    return r.data?.clusters?.length === 1;
  }, 'the gateway to mirror alice’s binding');
  await waitFor(async () => {
    const r = await gql('{ cluster(name: "sim") { namespaces { totalCount } } }', {}, as(BOB));
    return r.data?.cluster?.namespaces?.totalCount === 2;
  }, 'the gateway to mirror bob’s bindings');
}, 60_000);

afterAll(() => h?.close(), 30_000);

describe('a user bound to view in one namespace, on every path', () => {
  it('lists, totalCount, filters and namespaces hold that namespace only', async () => {
    const q = `query($b: String!) { cluster(name: "sim") {
      pods(first: 500) { totalCount edges { node { namespace name } } }
      other: pods(namespace: $b) { totalCount edges { node { name } } }
      jobs(first: 100) { totalCount edges { node { namespace } } }
      events(first: 500) { edges { node { namespace } } }
      namespaces { totalCount edges { node { name } } }
      nodes { totalCount edges { node { name } } }
    } }`;
    const admin = (await gql(q, { b: NS_B }, as(ADMIN))).data.cluster;
    const alice = (await gql(q, { b: NS_B }, as(ALICE))).data.cluster;
    const inA = admin.pods.nodes.filter((p: Json) => p.namespace === NS_A);
    expect(inA.length).toBeGreaterThan(0);
    expect(alice.pods.nodes).toEqual(inA);
    expect(alice.pods.totalCount).toBe(inA.length);
    expect(alice.other).toMatchObject({ totalCount: 0, nodes: [] });
    expect(admin.other.totalCount).toBeGreaterThan(0);
    expect(new Set(alice.jobs.nodes.map((j: Json) => j.namespace))).toEqual(new Set([NS_A]));
    for (const e of alice.events.nodes) expect(e.namespace).toBe(NS_A);
    expect(alice.namespaces.nodes).toEqual([{ name: NS_A }]);
    expect(alice.nodes).toMatchObject({ totalCount: 0, nodes: [] });
    expect(admin.nodes.totalCount).toBe(3);
  });

  it('a user bound in two namespaces lists both, through any filter, and nothing of a third', async () => {
    // Lists of a namespace-limited caller read the granted namespaces' index buckets together,
    // or a filter's own narrower index (a node's pods, a job's pods) with the namespaces checked
    // object by object (ClusterReader.listNowIn): every such path, against the admin's answers.
    const all = (
      await gql(
        '{ cluster(name: "sim") { pods(first: 500) { edges { node { namespace name nodeName phase labels { key value } job { name } } } } } }',
        {},
        as(ADMIN),
      )
    ).data.cluster.pods.nodes as Json[];
    const mine = (p: Json) => p.namespace === NS_A || p.namespace === NS_B;
    expect(all.filter((p) => !mine(p)).length).toBeGreaterThan(0); // a third namespace to hide
    const withJob = all.find((p) => mine(p) && p.job && p.nodeName)!;
    const label = withJob.labels[0];
    const q = `query($node: String!, $selector: String!, $ns: String!, $job: String!) { cluster(name: "sim") {
      all: pods(first: 500) { totalCount edges { node { namespace name } } }
      onNode: pods(first: 500, nodeName: $node) { edges { node { namespace name } } }
      labelled: pods(first: 500, labelSelector: $selector) { edges { node { namespace name } } }
      running: pods(first: 500, phase: RUNNING) { edges { node { namespace name } } }
      job(namespace: $ns, name: $job) { pods(first: 500) { edges { node { namespace name } } } }
      jobs(first: 100) { edges { node { namespace } } }
    } }`;
    const vars = {
      node: withJob.nodeName,
      selector: `${label.key}=${label.value}`,
      ns: withJob.namespace,
      job: withJob.job.name,
    };
    const bob = (await gql(q, vars, as(BOB))).data.cluster;
    const admin = (await gql(q, vars, as(ADMIN))).data.cluster;
    const names = (c: Json) => (c.nodes as Json[]).map((p) => `${p.namespace}/${p.name}`).sort();
    const mineOf = (c: Json) =>
      (c.nodes as Json[])
        .filter(mine)
        .map((p) => `${p.namespace}/${p.name}`)
        .sort();
    expect(bob.all.totalCount).toBe(all.filter(mine).length);
    for (const field of ['all', 'onNode', 'labelled', 'running']) {
      expect(names(bob[field]), field).toEqual(mineOf(admin[field]));
      expect(names(bob[field]).length, field).toBeGreaterThan(0);
    }
    expect(names(admin.onNode).length + names(admin.labelled).length).toBeGreaterThan(
      names(bob.onNode).length + names(bob.labelled).length,
    ); // the filters matched pods of the third namespace too, and bob saw none of them
    expect(names(bob.job.pods)).toEqual(names(admin.job.pods));
    expect(new Set(bob.jobs.nodes.map((j: Json) => j.namespace))).toEqual(new Set([NS_A, NS_B]));
  });

  it('lookups by name, relations and counts answer as if the rest did not exist', async () => {
    const admin = (
      await gql(
        `{ cluster(name: "sim") { pods(first: 500) { edges { node { id namespace name nodeName node { name podCount } job { name } } } } } }`,
        {},
        as(ADMIN),
      )
    ).data.cluster.pods.nodes;
    const podA = admin.find((p: Json) => p.namespace === NS_A && p.nodeName && p.job);
    const podB = admin.find((p: Json) => p.namespace === NS_B && p.nodeName);
    expect(podA && podB).toBeTruthy();
    const q = `query($ns: String!, $name: String!, $node: String!, $job: String!) { cluster(name: "sim") {
      pod(namespace: $ns, name: $name) { name node { name } job { name pods { totalCount } } }
      node(name: $node) { name }
      job(namespace: $ns, name: $job) { name }
    } }`;
    const mine = (
      await gql(q, { ns: NS_A, name: podA.name, node: podA.nodeName, job: podA.job.name }, as(ALICE))
    ).data.cluster;
    // Her own pod, its job; not its node (view grants no nodes).
    expect(mine.pod.name).toBe(podA.name);
    expect(mine.pod.node).toBeNull();
    expect(mine.pod.job.name).toBe(podA.job.name);
    expect(mine.node).toBeNull();
    expect(mine.job.name).toBe(podA.job.name);
    const theirs = (await gql(q, { ns: NS_B, name: podB.name, node: podB.nodeName, job: 'x' }, as(ALICE)))
      .data.cluster;
    expect(theirs.pod).toBeNull();
    expect(theirs.job).toBeNull();
  });

  it('global IDs and cursors copied from an admin’s answers give nothing of the rest', async () => {
    const admin = (
      await gql(
        `{ cluster(name: "sim") { id pods(first: 500) { edges { cursor node { id namespace } } } nodes { edges { node { id } } } } }`,
        {},
        as(ADMIN),
      )
    ).data.cluster;
    const theirs = admin.pods.edges.filter((e: Json) => e.node.namespace === NS_B);
    const ids = [...theirs.slice(0, 5).map((e: Json) => e.node.id), admin.nodes.nodes[0].id];
    const viaIds = await gql('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids }, as(ALICE));
    expect(viaIds.data.nodes).toEqual(ids.map(() => null));
    const one = await gql('query($id: ID!) { node(id: $id) { id } }', { id: ids[0] }, as(ALICE));
    expect(one).toEqual({ data: { node: null } });
    // The cluster's own id is hers to resolve: she may read something there.
    expect(
      (await gql('query($id: ID!) { node(id: $id) { id } }', { id: admin.id }, as(ALICE))).data.node,
    ).toEqual({
      id: admin.id,
    });
    for (const edge of [admin.pods.edges[0], theirs[0]]) {
      const page = await gql(
        'query($after: String) { cluster(name: "sim") { pods(first: 500, after: $after) { edges { node { namespace } } } } }',
        { after: edge.cursor },
        as(ALICE),
      );
      for (const p of page.data?.cluster?.pods?.nodes ?? []) expect(p.namespace).toBe(NS_A);
    }
  });

  it('summaries and status count only what she may list, and say so', async () => {
    const q = `{ cluster(name: "sim") {
      summary { nodes pods jobs namespacesOnly }
      status { kinds { kind objects resourceVersion failures relists } }
    } }`;
    const admin = (await gql(q, {}, as(ADMIN))).data.cluster;
    const alice = (await gql(q, {}, as(ALICE))).data.cluster;
    const mine = (
      await gql(`{ cluster(name: "sim") { pods { totalCount } jobs { totalCount } } }`, {}, as(ALICE))
    ).data.cluster;
    expect(admin.summary.namespacesOnly).toBe(false);
    expect(alice.summary).toEqual({
      nodes: 0,
      pods: mine.pods.totalCount,
      jobs: mine.jobs.totalCount,
      namespacesOnly: true,
    });
    for (const k of alice.status.kinds) {
      expect(k.objects, k.kind).toBeNull();
      expect(k.resourceVersion, k.kind).toBeNull();
    }
    // The informers' health (failed attempts, relists) is the connection's, not the objects':
    // the same for her, who may not list any kind whole, as for the admin.
    const health = (c: { status: { kinds: Json[] } }) =>
      c.status.kinds.map((k: Json) => [k.kind, k.failures, k.relists]);
    expect(health(alice)).toEqual(health(admin));
    expect(alice.status.kinds.length).toBeGreaterThan(0);
  });

  it('subscriptions relay her namespace only, and refuse one she may not watch', async () => {
    const base = relayStats(h.hub).subscribers;
    const all = subscribe('sse', h.url, 'subscription { podEvents { type object { namespace name } } }', {
      token: ALICE,
    });
    const other = subscribe(
      'sse',
      h.url,
      `subscription { podEvents(namespace: "${NS_B}") { type object { namespace name } } }`,
      { token: ALICE },
    );
    // Selects the labels: a label change is a MODIFIED worth sending, which her rights
    // (watch in NS_A only) must still decide, also where no filter input moved.
    const labelled = subscribe(
      'ws',
      h.url,
      'subscription { podEvents { type object { namespace name labels { key value } } } }',
      { token: ALICE },
    );
    try {
      await other.end();
      expect(other.errors.map((e: Json) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      // Relayed subscribers: hers, once the refused one has ended.
      await waitFor(() => relayStats(h.hub).subscribers === base + 2, 'her subscriptions to start');
      for (const ns of [NS_B, NS_A])
        await simCreate(h, `/api/v1/namespaces/${ns}/pods`, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'probe-pod', namespace: ns },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        });
      const seen = await all.eventFor('probe-pod', 'ADDED');
      expect(seen.object.namespace).toBe(NS_A);
      expect(all.events.filter((e: Json) => e.object.namespace !== NS_A)).toEqual([]);
      for (const ns of [NS_B, NS_A])
        h.sim.store.mutate('pods', ns, 'probe-pod', (d) => ({
          ...d,
          metadata: { ...d.metadata, labels: { ...d.metadata.labels, probed: 'yes' } },
        }));
      const changed = await labelled.eventFor('probe-pod', 'MODIFIED');
      expect(changed.object.labels).toContainEqual({ key: 'probed', value: 'yes' });
      // Her namespace's change arrived after the other's: nothing of NS_B reached her.
      expect(
        labelled.events.filter((e: Json) => e.object.namespace !== NS_A).map((e: Json) => e.type),
      ).toEqual([]);
      expect(labelled.events.map((e: Json) => `${e.type} ${e.object.namespace}`)).toEqual([
        `ADDED ${NS_A}`,
        `MODIFIED ${NS_A}`,
      ]);
    } finally {
      all.dispose();
      other.dispose();
      labelled.dispose();
    }
  });

  it('a user with no binding sees no cluster; errors name nothing; /metrics is not hers', async () => {
    const r = await gql('{ clusters { name } cluster(name: "sim") { name } }', {}, as(NOBODY));
    expect(r.data).toEqual({ clusters: [], cluster: null });
    const err = await gql(
      'subscription { podEvents(cluster: "sim") { type } }',
      {},
      { ...as(NOBODY), accept: 'application/graphql-response+json' },
    );
    expect(JSON.stringify(err)).not.toContain(NS_A);
    const metrics = await fetch(h.url.replace('/graphql', '/metrics'), { headers: as(ALICE) });
    expect(metrics.status).toBe(403);
  });
});
