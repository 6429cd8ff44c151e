/**
 * `Job.podsByPhase` needs `list` on pods in the job's namespace: a caller who may list the
 * namespace's jobs but not its pods sees the job with zero pods by phase, never the counts
 * (the aggregates hold every pod; the counts are read from them only for a caller who may
 * list the pods). Over HTTP, identities from Kubernetes tokens, RBAC mirrored from the simulator.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { type Json, startWriteKit, type WriteKit } from '../writes/kit.js';

const NS = 'job-pods-rights';
const JOBS_ONLY = 'jobs-only-token-0123456789';
const BOTH = 'jobs-and-pods-token-0123456789';
let k: WriteKit;

const QUERY = `query($ns: String!) { cluster(name: "sim") {
  jobs(namespace: $ns) { edges { node { name podsByPhase { pending running succeeded failed unknown total } } } }
} }`;

beforeAll(async () => {
  k = await startWriteKit({
    tokens: [
      { name: 'jobs-only', token: JOBS_ONLY, user: 'jobs-only' },
      { name: 'jobs-and-pods', token: BOTH, user: 'jobs-and-pods' },
    ],
  });
  await k.namespace(NS);
  const read = ['get', 'list', 'watch'];
  await k.rbac.role(NS, 'jobs-reader', [{ apiGroups: ['batch'], resources: ['jobs'], verbs: read }]);
  await k.rbac.role(NS, 'jobs-pods-reader', [
    { apiGroups: ['batch'], resources: ['jobs'], verbs: read },
    { apiGroups: [''], resources: ['pods'], verbs: read },
  ]);
  await k.rbac.roleBinding(NS, 'jobs-only', 'role:jobs-reader', [{ user: 'jobs-only' }]);
  await k.rbac.roleBinding(NS, 'jobs-and-pods', 'role:jobs-pods-reader', [{ user: 'jobs-and-pods' }]);
  await k.rbac.create(`/apis/batch/v1/namespaces/${NS}/jobs`, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'counted' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
  });
  // Two pods of the job (its label), pending: the lifecycle is off in this kit.
  for (const name of ['counted-a', 'counted-b'])
    await k.pod(NS, name, { labels: { 'batch.kubernetes.io/job-name': 'counted', 'job-name': 'counted' } });
  await waitFor(async () => {
    const r = await k.gql(QUERY, { ns: NS });
    return r.data?.cluster?.jobs?.edges?.[0]?.node?.podsByPhase?.total === 2;
  }, 'the gateway to count the job’s pods');
  await waitFor(async () => {
    for (const token of [JOBS_ONLY, BOTH]) {
      const r = await k.gql(QUERY, { ns: NS }, token);
      if (r.data?.cluster?.jobs?.edges?.length !== 1) return false;
    }
    return true;
  }, 'the gateway to mirror both users’ bindings');
}, 60_000);

afterAll(() => k?.close(), 30_000);

it('a caller who may list the jobs but not the pods gets zeros; one who may list both, the counts', async () => {
  const zeros = { pending: 0, running: 0, succeeded: 0, failed: 0, unknown: 0, total: 0 };
  const jobsOnly = await k.gql(QUERY, { ns: NS }, JOBS_ONLY);
  expect(jobsOnly.errors).toBeUndefined();
  expect(jobsOnly.data.cluster.jobs.edges).toEqual([{ node: { name: 'counted', podsByPhase: zeros } }]);
  const both = await k.gql(QUERY, { ns: NS }, BOTH);
  expect(both.errors).toBeUndefined();
  expect(both.data.cluster.jobs.edges).toEqual([
    { node: { name: 'counted', podsByPhase: { ...zeros, pending: 2, total: 2 } } },
  ]);
  // The same caller's own read of the pods is refused or empty, as the counts say.
  const pods = (await k.gql(
    `query($ns: String!) { cluster(name: "sim") { pods(namespace: $ns) { totalCount } } }`,
    { ns: NS },
    JOBS_ONLY,
  )) as Json;
  expect(pods.data?.cluster?.pods?.totalCount ?? 0).toBe(0);
});
