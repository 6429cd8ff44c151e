/**
 * Reads of the API server shared while in flight (src/kube/shared-reads.ts) are never handed
 * to a page asked after a write the gateway made: without the cache, a query sent once its
 * mutation answered lists again (and sees the write) rather than joining a LIST from before.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { requestCount, setSimFaults } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { type Json, startWriteKit, type WriteKit } from './kit.js';

const NS = 'writes-shared-reads';
const OTHER = 'writes-other-token-01234567890';
/** Where `other` may view (RoleBinding to `view`): it sees the cluster, not NS's pods. */
const OTHER_NS = 'writes-shared-reads-other';
let k: WriteKit;

beforeAll(async () => {
  k = await startWriteKit({
    cache: false,
    tokens: [{ name: 'other', token: OTHER, user: 'other' }],
  });
  await k.namespace(NS);
  await k.pod(NS, 'subject', { labels: { n: '0' } });
  await k.namespace(OTHER_NS);
  await k.rbac.roleBinding(OTHER_NS, 'other-view', 'view', [{ user: 'other' }]);
  await waitFor(
    async () => (await k.gql('{ cluster(name: "sim") { name } }', {}, OTHER)).data?.cluster?.name === 'sim',
    'the gateway sees the binding',
  );
}, 60_000);

afterAll(() => k?.close(), 30_000);

const faults = (body: object) => setSimFaults(k.h.sim, body);

const COUNT = `{ cluster(name: "sim") { pods(namespace: "${NS}", labelSelector: "n=1") { totalCount } } }`;
const podLists = async () => requestCount(await k.h.upstream(), 'LIST', 'pods');

it('shares a LIST among pages asked while it runs, but not with one asked after a mutation', async () => {
  const id = (await k.gql(`{ cluster(name: "sim") { pod(namespace: "${NS}", name: "subject") { id } } }`))
    .data.cluster.pod.id as string;
  // Pod LISTs take 800 ms: the pages below are all asked while the first one's runs.
  await faults({ latencyMs: 800, verbs: ['LIST'], resources: ['pods'] });
  try {
    const before = await podLists();
    const early = k.gql(COUNT);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const joined = await k.gql(COUNT);
    expect(joined.errors).toBeUndefined();
    expect(await podLists()).toBe(before + 1); // the second page joined the first one's LIST

    const again = k.gql(COUNT);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const m = await k.gql(
      'mutation($id: ID!) { setLabels(id: $id, set: [{ key: "n", value: "1" }]) { visible } }',
      { id },
    );
    expect(m.errors).toBeUndefined();
    const after: Json = await k.gql(COUNT);
    expect(after.errors).toBeUndefined();
    expect(after.data.cluster.pods.totalCount).toBe(1);
    // Its own LIST, not the one in flight since before the write.
    expect(await podLists()).toBe(before + 3);
    expect((await early).errors).toBeUndefined();
    expect((await again).errors).toBeUndefined();
  } finally {
    await faults({ reset: true });
  }
});

it('never hands a shared LIST to a caller who may not list pods there', async () => {
  const ALL = `{ cluster(name: "sim") { pods(namespace: "${NS}") { totalCount edges { node { name } } } } }`;
  await faults({ latencyMs: 800, verbs: ['LIST'], resources: ['pods'] });
  try {
    const before = await podLists();
    const allowed = k.gql(ALL);
    await new Promise((resolve) => setTimeout(resolve, 150));
    // Asked while ops's LIST runs: `other` lacks RBAC `list` on pods in NS (it has it in OTHER_NS).
    const denied: Json = await k.gql(ALL, {}, OTHER);
    const ops: Json = await allowed;
    expect(ops.errors).toBeUndefined();
    expect(ops.data.cluster.pods.totalCount).toBeGreaterThan(0);
    // Its view of a namespace it may not list is empty, as from a read of its own.
    expect(denied.errors).toBeUndefined();
    expect(denied.data.cluster.pods).toEqual({ totalCount: 0, edges: [] });
    expect(await podLists()).toBeLessThanOrEqual(before + 1);
  } finally {
    await faults({ reset: true });
  }
});
