/**
 * dryRun sends the write with dryRun=All: the API server validates and authorises it and
 * stores nothing. For every mutation: the request reached the server (its count moved),
 * the payload says dryRun and is never `visible`, and kubectl shows the cluster exactly as
 * before; a caller whose RBAC forbids the write is refused even so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { requireKubectl } from '../simulator/kubectl-runner.js';
import { type Json, startWriteKit, VIEWER, type WriteKit } from './kit.js';

const NS = 'writes-dry-run';
let k: WriteKit;
let node: string;

beforeAll(async () => {
  await requireKubectl();
  k = await startWriteKit();
  await k.namespace(NS);
  await k.pod(NS, 'p', { labels: { tier: 'bronze' } });
  await k.rbac.create(`/apis/batch/v1/namespaces/${NS}/jobs`, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
  });
  // The node with the most pods that are neither mirror nor DaemonSet pods: a drain evicts them.
  const evictable = new Map<string, number>();
  for (const pod of k.h.sim.store.scan('pods')) {
    const meta = pod.metadata;
    if (!pod.spec?.nodeName || meta.annotations?.['kubernetes.io/config.mirror']) continue;
    if (meta.ownerReferences?.some((o) => o.kind === 'DaemonSet')) continue;
    evictable.set(pod.spec.nodeName as string, (evictable.get(pod.spec.nodeName as string) ?? 0) + 1);
  }
  node = [...evictable].sort((a, b) => b[1] - a[1])[0][0];
  await waitFor(
    async () =>
      (await k.gql(`{ cluster(name: "sim") { job(namespace: "${NS}", name: "j") { name } } }`)).data.cluster
        .job,
    'the job in the cache',
  );
}, 60_000);

afterAll(() => k?.close(), 30_000);

/** Everything the mutations could touch, as kubectl lists it. */
async function everything(): Promise<Json> {
  const out = await k.kubectl.ok(['get', 'pods,jobs,nodes,namespaces', '-A', '-o', 'json']);
  return JSON.parse(out).items.map((o: Json) => ({
    kind: o.kind,
    namespace: o.metadata.namespace,
    name: o.metadata.name,
    resourceVersion: o.metadata.resourceVersion,
    labels: o.metadata.labels,
    unschedulable: o.spec?.unschedulable,
    suspend: o.spec?.suspend,
  }));
}

const id = async (field: string) =>
  Object.values(
    (await k.gql(`{ cluster(name: "sim") { ${field} { id } } }`)).data.cluster as Record<
      string,
      { id: string }
    >,
  )[0].id;

const CASES: {
  name: string;
  verb: string;
  resource: string;
  field: string;
  query: () => Promise<[string, object?]>;
}[] = [
  {
    name: 'deletePod',
    verb: 'DELETE',
    resource: 'pods',
    field: 'deletePod',
    query: async () => [
      `mutation { deletePod(cluster: "sim", namespace: "${NS}", name: "p", dryRun: true) { pod { name } resourceVersion visible dryRun } }`,
    ],
  },
  {
    name: 'createJob',
    verb: 'CREATE',
    resource: 'jobs',
    field: 'createJob',
    query: async () => [
      `mutation { createJob(input: { cluster: "sim", namespace: "${NS}", name: "dry", image: "busybox", dryRun: true }) { job { name } resourceVersion visible dryRun } }`,
    ],
  },
  {
    name: 'deleteJob',
    verb: 'DELETE',
    resource: 'jobs',
    field: 'deleteJob',
    query: async () => [
      `mutation { deleteJob(cluster: "sim", namespace: "${NS}", name: "j", propagation: FOREGROUND, dryRun: true) { job { name } resourceVersion visible dryRun } }`,
    ],
  },
  {
    name: 'suspendJob',
    verb: 'PATCH',
    resource: 'jobs',
    field: 'suspendJob',
    query: async () => [
      `mutation { suspendJob(cluster: "sim", namespace: "${NS}", name: "j", suspend: true, dryRun: true) { job { name suspended } resourceVersion visible dryRun } }`,
    ],
  },
  {
    name: 'cordonNode',
    verb: 'PATCH',
    resource: 'nodes',
    field: 'cordonNode',
    query: async () => [
      `mutation { cordonNode(cluster: "sim", name: "${node}", dryRun: true) { node { name unschedulable } resourceVersion visible dryRun } }`,
    ],
  },
  {
    name: 'evictPod',
    verb: 'CREATE',
    resource: 'pods',
    field: 'evictPod',
    query: async () => [
      `mutation { evictPod(cluster: "sim", namespace: "${NS}", name: "p", dryRun: true) { pod { name } resourceVersion visible dryRun } }`,
    ],
  },
  {
    name: 'drainNode',
    verb: 'PATCH',
    resource: 'nodes',
    field: 'drainNode',
    query: async () => [
      `mutation { drainNode(cluster: "sim", name: "${node}", dryRun: true) { node { name unschedulable } pods { name outcome } resourceVersion visible dryRun } }`,
    ],
  },
  {
    name: 'setLabels',
    verb: 'PATCH',
    resource: 'pods',
    field: 'setLabels',
    query: async () => [
      'mutation($id: ID!) { setLabels(id: $id, set: [{ key: "tier", value: "gold" }], remove: ["x"], dryRun: true) { object { name label(key: "tier") } resourceVersion visible dryRun } }',
      { id: await id(`pod(namespace: "${NS}", name: "p")`) },
    ],
  },
];

describe('dryRun', () => {
  for (const c of CASES) {
    it(`${c.name}: sent with dryRun=All, answered as the server would have written it, nothing changed`, async () => {
      const [query, variables] = await c.query();
      const before = await everything();
      const sent = await k.sent(c.verb, c.resource);
      const r = await k.gql(query, variables as Record<string, unknown>);
      expect(r.errors).toBeUndefined();
      const payload = r.data[c.field];
      expect(payload).toMatchObject({ visible: false, dryRun: true });
      expect(await k.sent(c.verb, c.resource)).toBe(sent + 1);
      expect(await everything()).toEqual(before);
      expect(k.records.at(-1)).toMatchObject({ mutation: c.name, dryRun: true, code: 'OK' });
      // What the server would have written comes back.
      if (c.name === 'createJob')
        expect(payload).toMatchObject({ job: { name: 'dry' }, resourceVersion: null });
      if (c.name === 'suspendJob') expect(payload.job.suspended).toBe(true);
      if (c.name === 'cordonNode' || c.name === 'drainNode') expect(payload.node.unschedulable).toBe(true);
      if (c.name === 'drainNode') {
        const evicted = payload.pods.filter((p: Json) => p.outcome === 'EVICTED');
        expect(evicted.length).toBeGreaterThan(0);
        // Each dry-run eviction reached the server too, and was answered as one.
        const audited = k.h.sim.audit.filter(
          (a) => a.subresource === 'eviction' && a.dryRun && a.code === 201,
        );
        expect(audited.length).toBeGreaterThanOrEqual(evicted.length);
      }
      if (c.name === 'setLabels') expect(payload.object.label).toBe('gold');
    });
  }

  it('is authorised like any write: a viewer is FORBIDDEN, as itself', async () => {
    const r = await k.gql(
      `mutation { deletePod(cluster: "sim", namespace: "${NS}", name: "p", dryRun: true) { visible } }`,
      {},
      VIEWER,
    );
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', upstreamStatus: 403 });
    expect(r.errors?.[0].message).toContain('User "viewer" cannot delete resource "pods"');
  });
});
