/**
 * A relation's page (a job's pods, a node's pods, a namespace's pods and jobs) is found again
 * by what it was made from: the owner object and the field's arguments give the list memo's
 * key (loaders/lists.ts, `originMemoKey`), and the memoised answer with the same arguments and
 * order gives the page (schema/args.ts, `keptPage`). Both are kept across requests, so this
 * checks over HTTP that what they hand back is always what a fresh computation would be: per
 * arguments (several sets of variables and two fields in one operation), per caller (two
 * callers with different rights asking the same document in turn), and per version of the
 * store (a pod added, a pod deleted).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { type Json, startWriteKit, type WriteKit } from '../writes/kit.js';

const NS = 'page-memo';
const OTHER = 'page-memo-other';
const ONE_NS = 'page-memo-one-ns-token-0123456789';
const BOTH_NS = 'page-memo-both-ns-token-012345678';
let k: WriteKit;
let node: string;

const JOB_LABELS = { 'batch.kubernetes.io/job-name': 'paged', 'job-name': 'paged' };

const JOB_PODS = `query($ns: String!, $first: Int, $phase: PodPhase) { cluster(name: "sim") {
  job(namespace: $ns, name: "paged") {
    pods(first: $first, phase: $phase, orderBy: { field: NAME, direction: ASC }) {
      totalCount edges { node { name } } pageInfo { hasNextPage }
    }
  }
} }`;

const NODE_PODS = `query($node: String!, $first: Int) { cluster(name: "sim") {
  node(name: $node) {
    pods(first: $first, orderBy: { field: NAME, direction: ASC }) { totalCount edges { node { namespace name } } }
  }
} }`;

const names = (connection: Json) => connection.edges.map((e: Json) => e.node.name);

beforeAll(async () => {
  k = await startWriteKit({
    tokens: [
      { name: 'one-ns', token: ONE_NS, user: 'one-ns' },
      { name: 'both-ns', token: BOTH_NS, user: 'both-ns' },
    ],
  });
  await k.namespace(NS);
  await k.namespace(OTHER);
  const read = ['get', 'list', 'watch'];
  const rules = [
    { apiGroups: ['batch'], resources: ['jobs'], verbs: read },
    { apiGroups: [''], resources: ['pods'], verbs: read },
  ];
  for (const ns of [NS, OTHER]) await k.rbac.role(ns, 'reader', rules);
  await k.rbac.roleBinding(NS, 'one-ns', 'role:reader', [{ user: 'one-ns' }, { user: 'both-ns' }]);
  await k.rbac.roleBinding(OTHER, 'both-ns', 'role:reader', [{ user: 'both-ns' }]);
  await k.rbac.clusterRole('node-reader', [{ apiGroups: [''], resources: ['nodes'], verbs: read }]);
  await k.rbac.clusterRoleBinding('node-readers', 'node-reader', [{ user: 'one-ns' }, { user: 'both-ns' }]);
  await k.rbac.create(`/apis/batch/v1/namespaces/${NS}/jobs`, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'paged' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
  });
  const nodes = await k.gql('{ cluster(name: "sim") { nodes(first: 1) { edges { node { name } } } } }');
  node = nodes.data.cluster.nodes.edges[0].node.name;
  // Three pods of the job, two of them on the node; one pod on the node in the other namespace.
  for (const name of ['paged-a', 'paged-b', 'paged-c'])
    await k.pod(NS, name, { labels: JOB_LABELS, ...(name === 'paged-c' ? {} : { node }) });
  await k.pod(OTHER, 'elsewhere', { node });
  await waitFor(async () => {
    const r = await k.gql(JOB_PODS, { ns: NS, first: 10 });
    return r.data?.cluster?.job?.pods?.totalCount === 3;
  }, 'the gateway to mirror the job’s pods');
  await waitFor(async () => {
    const one = await k.gql(NODE_PODS, { node, first: 100 }, ONE_NS);
    const both = await k.gql(NODE_PODS, { node, first: 100 }, BOTH_NS);
    const seen = (r: Json, ns: string) =>
      r.data?.cluster?.node?.pods?.edges?.some((e: Json) => e.node.namespace === ns);
    return seen(one, NS) && seen(both, OTHER);
  }, 'the gateway to mirror both callers’ bindings');
}, 60_000);

afterAll(() => k?.close(), 30_000);

describe('a relation’s page, found again across requests', () => {
  it('follows the arguments: each set of variables gets its own page, asked in turn', async () => {
    for (let round = 0; round < 3; round++) {
      const one = await k.gql(JOB_PODS, { ns: NS, first: 1 });
      expect(one.errors).toBeUndefined();
      expect(names(one.data.cluster.job.pods)).toEqual(['paged-a']);
      expect(one.data.cluster.job.pods.pageInfo.hasNextPage).toBe(true);
      const all = await k.gql(JOB_PODS, { ns: NS, first: 10 });
      expect(names(all.data.cluster.job.pods)).toEqual(['paged-a', 'paged-b', 'paged-c']);
      expect(all.data.cluster.job.pods.pageInfo.hasNextPage).toBe(false);
      const none = await k.gql(JOB_PODS, { ns: NS, first: 10, phase: 'RUNNING' });
      expect(none.data.cluster.job.pods).toMatchObject({ totalCount: 0, edges: [] });
    }
  });

  it('follows the field: two pages of the same job in one operation are each their own', async () => {
    const query = `{ cluster(name: "sim") { job(namespace: "${NS}", name: "paged") {
      first: pods(first: 1, orderBy: { field: NAME, direction: ASC }) { edges { node { name } } }
      last: pods(first: 1, orderBy: { field: NAME, direction: DESC }) { edges { node { name } } }
      pending: pods(phase: PENDING) { totalCount }
    } } }`;
    for (let round = 0; round < 3; round++) {
      const r = await k.gql(query);
      expect(r.errors).toBeUndefined();
      expect(names(r.data.cluster.job.first)).toEqual(['paged-a']);
      expect(names(r.data.cluster.job.last)).toEqual(['paged-c']);
      expect(r.data.cluster.job.pending.totalCount).toBe(3);
    }
  });

  it('follows the caller: two callers asking the same document in turn each see their own pods', async () => {
    const inNs = [`${NS}/paged-a`, `${NS}/paged-b`];
    for (let round = 0; round < 3; round++) {
      for (const [token, expected] of [
        [ONE_NS, inNs],
        [BOTH_NS, [`${OTHER}/elsewhere`, ...inNs]],
      ] as const) {
        const r = await k.gql(NODE_PODS, { node, first: 100 }, token);
        expect(r.errors).toBeUndefined();
        const seen = r.data.cluster.node.pods.edges
          .map((e: Json) => `${e.node.namespace}/${e.node.name}`)
          .filter((p: string) => p.startsWith('page-memo'));
        expect(seen).toEqual(expected);
      }
    }
  });

  it('follows the store: a pod added, then one deleted, is on the next page', async () => {
    const before = await k.gql(JOB_PODS, { ns: NS, first: 10 });
    expect(names(before.data.cluster.job.pods)).toEqual(['paged-a', 'paged-b', 'paged-c']);
    await k.pod(NS, 'paged-0', { labels: JOB_LABELS });
    await waitFor(async () => {
      const r = await k.gql(JOB_PODS, { ns: NS, first: 10 });
      return r.data?.cluster?.job?.pods?.totalCount === 4;
    }, 'the added pod');
    const added = await k.gql(JOB_PODS, { ns: NS, first: 10 });
    expect(names(added.data.cluster.job.pods)).toEqual(['paged-0', 'paged-a', 'paged-b', 'paged-c']);
    const res = await k.rbac.request('DELETE', `/api/v1/namespaces/${NS}/pods/paged-b`);
    expect(res.status).toBe(200);
    await waitFor(async () => {
      const r = await k.gql(JOB_PODS, { ns: NS, first: 10 });
      return r.data?.cluster?.job?.pods?.totalCount === 3;
    }, 'the deleted pod');
    const deleted = await k.gql(JOB_PODS, { ns: NS, first: 10 });
    expect(names(deleted.data.cluster.job.pods)).toEqual(['paged-0', 'paged-a', 'paged-c']);
    const one = await k.gql(JOB_PODS, { ns: NS, first: 1 });
    expect(names(one.data.cluster.job.pods)).toEqual(['paged-0']);
  });
});
