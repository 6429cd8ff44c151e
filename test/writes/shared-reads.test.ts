/**
 * Reads of the API server shared while in flight (src/kube/shared-reads.ts) are never handed
 * to a page asked after a write the gateway made: without the cache, a query sent once its
 * mutation answered lists again (and sees the write) rather than joining a LIST from before.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { requestCount, setSimFaults } from '../helpers/harness.js';
import { type Json, startWriteKit, type WriteKit } from './kit.js';

const NS = 'writes-shared-reads';
let k: WriteKit;

beforeAll(async () => {
  k = await startWriteKit({ cache: false });
  await k.namespace(NS);
  await k.pod(NS, 'subject', { labels: { n: '0' } });
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
